/** The inspector's form is generated from each kind's zod params. */
import { describe, expect, it } from 'vitest';
import { catalog, nodeKinds } from '../../src/nodes';
import { checkParams, paramFields, readInput, setAt, variantDefaults, type Field } from '../../src/editor/document/param-fields';
import { paramsOf, template } from '../helpers/docs';

const flat = (fs: Field[]): Field[] => fs.flatMap((f) => (f.type === 'group' ? flat(f.fields) : [f]));

describe('inspector fields from zod params', () => {
  it('covers every param of every kind\'s defaults with a field of the right type and range', () => {
    for (const kind of nodeKinds) {
      const fields = flat(paramFields(kind, kind.defaults()));
      for (const f of fields) expect(['number', 'numbers', 'select', 'boolean'], `${kind.type}.${f.name}`).toContain(f.type);
      const leaves = (v: unknown, path: string): string[] =>
        Array.isArray(v) && typeof v[0] === 'object' ? v.flatMap((x, i) => leaves(x, `${path}.${i}`))
          : v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v).flatMap(([k, x]) => leaves(x, path ? `${path}.${k}` : k)) : [path];
      expect(fields.map((f) => f.name).sort(), kind.type).toEqual(leaves(kind.defaults(), '').sort());
    }
    const proj = flat(paramFields(catalog.get('projector')!, paramsOf(template('simsiam'), 'proj')));
    expect(proj.find((f) => f.name === 'outputDim')).toMatchObject({ type: 'number', value: 128, min: 1, max: 65536, integer: true });
    expect(proj.find((f) => f.name === 'lastBatchNorm')).toMatchObject({ type: 'select', options: ['none', 'affine', 'non-affine'] });
    const aug = paramFields(catalog.get('augment')!, paramsOf(template('byol'), 'aug'));
    expect(aug.filter((f) => f.type === 'group').map((f) => f.label)).toEqual(['view 1', 'view 2']);
    expect(flat(aug).find((f) => f.name === 'views.1.solarizeP')).toMatchObject({ value: 0.2, min: 0, max: 1 });
  });

  it('switches a union\'s variant through its discriminator select', () => {
    const enc = catalog.get('encoder')!;
    const fields = paramFields(enc, enc.defaults());
    expect(fields[0]).toMatchObject({ name: 'arch', type: 'select', options: ['conv', 'resnet18'], value: 'conv' });
    expect(flat(paramFields(enc, variantDefaults(enc, 'arch', 'resnet18'))).map((f) => f.name)).toEqual(['arch', 'widthMultiplier', 'cifarStem']);
  });

  it('reads and checks input: refused values say why, per field', () => {
    const proj = catalog.get('projector')!;
    const outputDim = flat(paramFields(proj, proj.defaults())).find((f) => f.name === 'outputDim')!;
    expect(readInput(outputDim, 'abc')).toEqual({ error: 'must be a number' });
    const bad = checkParams(proj, setAt(proj.defaults(), ['outputDim'], 0));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors.get('outputDim')).toBe('must be an integer between 1 and 65536');
    const aug = catalog.get('augment')!;
    const crop = flat(paramFields(aug, aug.defaults())).find((f) => f.name === 'views.0.cropScale')!;
    expect(readInput(crop, '0.2, 1')).toEqual({ value: [0.2, 1] });
    const flipped = checkParams(aug, setAt(aug.defaults(), ['views', 0, 'cropScale'], [0.9, 0.2]));
    expect(!flipped.ok && flipped.errors.get('views.0.cropScale')).toBe('must be [low, high] with low ≤ high');
  });
});
