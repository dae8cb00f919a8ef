/** Issue 20 (4, 6): the document's training block as a generated form, and what makes a run stale. */
import { describe, expect, it } from 'vitest';
import { TrainingSchema } from '../../src/graph';
import { editValue, leafFields, schemaFields, type Field } from '../../src/editor/document/param-fields';
import { moveNodes, updateNode } from '../../src/editor/document/edits';
import { trainedKey } from '../../src/graph';
import { template } from '../helpers/docs';

const byName = (fields: Field[]) => new Map(leafFields(fields).map((f) => [f.name, f]));

describe('the Training panel\'s fields, from the zod schema', () => {
  it('has a field of the right type and range for every setting, the optimizer a group picking its variant', () => {
    const training = template('byol').training;
    const fields = schemaFields(TrainingSchema, training);
    const leaves = (v: unknown, path: string): string[] => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => leaves(x, path ? `${path}.${k}` : k)) : [path]);
    expect([...byName(fields).keys()].sort()).toEqual(leaves(training, '').sort());
    const optimizer = fields.find((f) => f.name === 'optimizer');
    expect(optimizer?.type).toBe('group');
    const f = byName(fields);
    expect(f.get('optimizer.type')).toMatchObject({ type: 'select', options: ['sgd', 'lars', 'adam', 'adamw'], value: training.optimizer.type, variant: true });
    expect(f.get('optimizer.lr')).toMatchObject({ type: 'number', value: training.optimizer.lr, min: 0, max: 100, integer: false });
    expect(f.get('steps')).toMatchObject({ type: 'number', value: training.steps, min: 1, max: 100_000_000, integer: true });
    expect(f.get('schedule.decay')).toMatchObject({ type: 'select', options: ['cosine', 'constant'] });
    expect(f.get('evaluation.temperature')).toMatchObject({ type: 'number', min: 1e-4, max: 100 });
  });

  it('edits one value and keeps the rest; a variant switch starts from that optimizer\'s defaults; a bad value says why and changes nothing', () => {
    const training = template('simsiam').training;
    const f = byName(schemaFields(TrainingSchema, training));
    const lr = editValue(TrainingSchema, training, f.get('optimizer.lr')!, '0.0123');
    expect(lr.ok && lr.value).toEqual({ ...training, optimizer: { ...training.optimizer, lr: 0.0123 } });
    const lars = editValue(TrainingSchema, training, f.get('optimizer.type')!, 'lars');
    expect(lars.ok && lars.value).toEqual({ ...training, optimizer: { type: 'lars', lr: 0.2, momentum: 0.9, weightDecay: 1.5e-6, trustCoefficient: 1e-3, excludeBiasAndNorm: true } });
    const bad = editValue(TrainingSchema, training, f.get('batchSize')!, '1');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors.get('batchSize')).toBe('must be an integer between 2 and 65536');
    expect(editValue(TrainingSchema, training, f.get('optimizer.lr')!, 'fast')).toMatchObject({ ok: false, errors: new Map([['optimizer.lr', 'must be a number']]) });
  });
});

describe('what makes a run stale', () => {
  const doc = template('simsiam');
  const key = trainedKey(doc);
  it('not moving or renaming nodes, nor renaming the document', () => {
    expect(trainedKey(moveNodes(doc, new Map([['proj', { x: 999, y: -40 }]])))).toBe(key);
    expect(trainedKey(updateNode(doc, 'proj', { label: 'renamed' }))).toBe(key);
    expect(trainedKey({ ...doc, name: 'Other', description: 'another text' })).toBe(key);
  });
  it('a param, a wire or a training setting', () => {
    const proj = doc.nodes.find((n) => n.id === 'proj')!;
    expect(trainedKey(updateNode(doc, 'proj', { params: { ...proj.params, outputDim: 64 } as typeof proj.params }))).not.toBe(key);
    expect(trainedKey({ ...doc, edges: doc.edges.slice(1) })).not.toBe(key);
    expect(trainedKey({ ...doc, training: { ...doc.training, seed: doc.training.seed + 1 } })).not.toBe(key);
  });
});
