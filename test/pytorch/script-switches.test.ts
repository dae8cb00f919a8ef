/**
 * The exported script's switches over a document's values (loss objective,
 * optimizer type, lr decay, EMA schedule, MLP norm, dataset source) raise on
 * a value they do not know, instead of computing what its else branch does;
 * the values they know still compute.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseGraph } from '../../src/graph';
import { exportPytorch } from '../../src/runtime/pytorch/export';
import { python } from '../helpers/python';

/** Each call's result, or the type and message of what it raised. */
const CALLS = String.raw`
import json, runpy, sys
import torch
g = runpy.run_path(json.load(sys.stdin), run_name='script')
training = g['DOCUMENT']['training']
p = [torch.ones(2, 3), torch.ones(2, 3)]
calls = {
    'loss negative-cosine': lambda: g['siamese_loss'](p, p, 'negative-cosine').item(),
    'loss normalized-l2': lambda: g['siamese_loss'](p, p, 'normalized-l2').item(),
    'loss cosine': lambda: g['siamese_loss'](p, p, 'cosine'),
    'optimizer rmsprop': lambda: g['make_optimizer'](g['Graph'](), dict(training, optimizer=dict(training['optimizer'], type='rmsprop')), g['PREDICTORS']),
    'lr constant': lambda: g['learning_rate'](0.5, dict(warmupSteps=0, decay='constant'), 3, 10),
    'lr linear': lambda: g['learning_rate'](0.5, dict(warmupSteps=0, decay='linear'), 3, 10),
    'lr linear in warmup': lambda: g['learning_rate'](0.5, dict(warmupSteps=5, decay='linear'), 0, 10),
    'tau constant': lambda: g['ema_tau'](0.99, 'constant', 3, 10),
    'tau linear': lambda: g['ema_tau'](0.99, 'linear', 3, 10),
    'mlp non-affine': lambda: type(g['MLP'](4, hidden_dim=8, output_dim=4, layers=2, last_bn='non-affine').layers[1].bn).__name__,
    'mlp batch': lambda: g['MLP'](4, hidden_dim=8, output_dim=4, layers=2, last_bn='batch'),
    'data image-folder': lambda: g['load_data']('image-folder', '/nonexistent'),
}
out = {}
for name, call in calls.items():
    try:
        out[name] = dict(value=call())
    except Exception as e:
        out[name] = dict(raised=type(e).__name__, message=str(e))
print(json.dumps(out, default=lambda o: f'<{type(o).__name__}>'))  # what old code returned instead of raising
`;

type Outcome = { value: unknown } | { raised: string; message: string };
let outcomes: Record<string, Outcome>;

beforeAll(async () => {
  const parsed = parseGraph(readFileSync(join(import.meta.dirname, '..', '..', 'templates', 'simsiam.json'), 'utf8'));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const script = join(mkdtempSync(join(tmpdir(), 'script-switches-')), 'train.py');
  writeFileSync(script, exportPytorch(parsed.doc));
  outcomes = await python<Record<string, Outcome>>(CALLS, script, 120_000);
}, 180_000);

describe('the exported script\'s switches', () => {
  it('compute the values they know', () => {
    // p = z: cos = 1 up to float32 rounding of the normalization (a few ulps)
    const value = (call: string) => (outcomes[call] as { value: number }).value;
    expect(value('loss negative-cosine')).toBeCloseTo(-1, 6);
    expect(value('loss normalized-l2')).toBeCloseTo(0, 6);
    expect(outcomes['lr constant']).toEqual({ value: 0.5 });
    expect(outcomes['tau constant']).toEqual({ value: 0.99 });
    expect(outcomes['mlp non-affine']).toEqual({ value: 'BatchNorm1d' });
  });

  it.each([
    ['loss cosine', "unknown loss objective: 'cosine'"],
    ['optimizer rmsprop', "unknown optimizer type: 'rmsprop'"],
    ['lr linear', "unknown lr decay: 'linear'"],
    ['lr linear in warmup', "unknown lr decay: 'linear'"],
    ['tau linear', "unknown EMA schedule: 'linear'"],
    ['mlp batch', "unknown MLP norm: 'batch'"],
  ])('%s raises ValueError', (call, message) => {
    expect(outcomes[call]).toEqual({ raised: 'ValueError', message });
  });

  it('an unknown dataset source is refused in one line (exit 2)', () => {
    expect(outcomes['data image-folder']).toEqual({ raised: 'ScriptError', message: "dataset source 'image-folder' is not supported by the exported script" });
  });
});
