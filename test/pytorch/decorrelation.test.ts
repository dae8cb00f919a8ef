/**
 * The decorrelation family's Python (src/nodes/barlow-twins.py, vicreg.py,
 * with gather.py): the hand-computed examples in float64, torch's own
 * finite-difference gradcheck, the global batch under torchrun (2 gloo
 * processes at B = 1 process at 2B), and parity of both templates with the
 * tfjs runtime.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as tfc from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import barlowTwinsPython from '../../src/nodes/barlow-twins.py.ts';
import gatherPython from '../../src/nodes/gather.py.ts';
import vicregPython from '../../src/nodes/vicreg.py.ts';
import type { Dataset } from '../../src/runtime/data/dataset';
import { loadDatasetSpec } from '../../src/runtime/data/node';
import { ATEN_DEFAULT, formatTable, parity, THIS_CPU } from '../../parity/harness';
import { template } from '../helpers/docs';
import { python } from '../helpers/python';
import { tfOn } from '../helpers/runtime';

const run = promisify(execFile);
const PIECES = [gatherPython, barlowTwinsPython, vicregPython].join('\n\n');

describe('the losses in float64', () => {
  it('give the hand-computed values of the 2-sample examples and pass torch.autograd.gradcheck', async () => {
    const CHECK = String.raw`
import json, math, sys, torch
${PIECES}
a = torch.tensor([[1., 2.], [3., 0.]], dtype=torch.float64)
b = torch.tensor([[0., 5.], [2., 1.]], dtype=torch.float64)
s, t = 1 / math.sqrt(1 + 1e-5), 1 / math.sqrt(1 + 1e-5 / 4)
barlow_hand = (1 - s * s) ** 2 + (1 - s * t) ** 2 + 0.5 * ((s * t) ** 2 + s ** 4)
vicreg_hand = 25 * 3 + 25 * 1.5 * (2 - math.sqrt(2.0001)) + 20
g = torch.Generator().manual_seed(0)
x, y = (torch.randn(8, 4, generator=g, dtype=torch.float64, requires_grad=True) for _ in range(2))
# std ~0.6 on some columns: the hinge at gamma = 1 is on for some dimensions
scale = torch.tensor([0.6, 1.5, 0.6, 1.5], dtype=torch.float64)

def refusal(f):
    try:
        f()
    except ValueError as e:
        return repr(e)

print(json.dumps(dict(
    barlow=abs(barlow_twins_loss([a, b], 0.5).item() - barlow_hand),
    vicreg=abs(vicreg_loss([a, b], 25, 25, 1, 2, 1e-4).item() - vicreg_hand),
    vicregPaper=abs(vicreg_loss([a, b], 25, 25, 1, 1, 1e-4).item() - 95),
    barlowGrad=torch.autograd.gradcheck(lambda p, q: barlow_twins_loss([p, q], 5e-3), (x, y)),
    vicregGrad=torch.autograd.gradcheck(lambda p, q: vicreg_loss([p * scale, q * scale], 25, 25, 1, 1, 1e-4), (x, y)),
    views=[refusal(lambda: barlow_twins_loss([a, b, a], 5e-3)), refusal(lambda: vicreg_loss([a], 25, 25, 1, 1, 1e-4))],
)))
`;
    const r = await python<{ barlow: number; vicreg: number; vicregPaper: number; barlowGrad: boolean; vicregGrad: boolean; views: string[] }>(CHECK, null);
    expect(r.barlow).toBeLessThan(1e-14);
    expect(r.vicreg).toBeLessThan(1e-12);
    expect(r.vicregPaper).toBeLessThan(1e-12);
    expect(r.barlowGrad).toBe(true);
    expect(r.vicregGrad).toBe(true);
    expect(r.views).toEqual(["ValueError('Barlow Twins takes 2 views, got 3')", "ValueError('VICReg takes 2 views, got 1')"]);
  }, 60_000);
});

/**
 * Two views of a global batch of 2B = 8 through a tiny net (Linear, Tanh,
 * Linear), each loss, two SGD steps: under torchrun each of the 2 processes
 * takes its B = 4 (as the script's DistributedSampler does) inside DDP; the
 * reported loss is the mean over processes, as the script's. With the batch
 * statistics over the global batch (gather_batch), step 1's and step 2's
 * losses (so the gradients of step 1 too) equal one process on all 8, in
 * float32 to 1e-5 (sums of 8 products of O(1) values: rounding ~1e-6).
 * NO_GATHER=1 computes them per process instead: the control that this
 * comparison can fail.
 */
const DDP = String.raw`
import json, os, sys, torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
${PIECES}
if os.environ.get('NO_GATHER') == '1':
    def gather_batch(x):
        return x

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(6, 7), torch.nn.Tanh(), torch.nn.Linear(7, 5))

    def forward(self, views):
        return [self.body(v) for v in views]

LOSSES = dict(barlow=lambda z: barlow_twins_loss(z, 0.1), vicreg=lambda z: vicreg_loss(z, 25, 25, 1, 1, 1e-4))
distributed = 'WORLD_SIZE' in os.environ
if distributed:
    dist.init_process_group('gloo')
rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
x = torch.randn(2, 8, 6, generator=torch.Generator().manual_seed(1))
per = 8 // world
result = {}
for name, loss_fn in LOSSES.items():
    torch.manual_seed(0)
    net = Net()
    model = DistributedDataParallel(net) if distributed else net
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for step in range(2):
        loss = loss_fn(model(list(x[:, rank * per:(rank + 1) * per])))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total = torch.tensor([loss.item()], dtype=torch.float64)
        if distributed:
            dist.all_reduce(total)
        losses.append(total.item() / world)
    result[name] = losses
if rank == 0:
    print('DECORRELATION ' + json.dumps(result), flush=True)
if distributed:
    dist.destroy_process_group()
`;

describe('under torchrun the batch statistics are the global batch', () => {
  const dir = mkdtempSync(join(tmpdir(), 'decorrelation-ddp-'));
  const script = join(dir, 'ddp.py');
  writeFileSync(script, DDP);
  const resultOf = (out: string) => JSON.parse(/DECORRELATION (\{.*\})/.exec(out)![1]) as Record<'barlow' | 'vicreg', number[]>;
  const torchrun = async (env: Record<string, string> = {}) => {
    // Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default --redirects/--tee of 0.
    const { stdout, stderr } = await run('torchrun', ['--standalone', '--nproc_per_node=2', '--redirects', '1', '--tee', '1', script],
      { cwd: dir, env: { ...process.env, ...env, OMP_NUM_THREADS: '1' }, maxBuffer: 16 << 20 });
    return resultOf(stdout + stderr);
  };

  it('2 gloo processes at B = 4 give 1 process at 2B = 8 its step-1 and step-2 losses within 1e-5; per-process statistics do not', async () => {
    const one = resultOf((await run('/usr/bin/python3', [script], { cwd: dir, env: { ...process.env, OMP_NUM_THREADS: '1' } })).stdout);
    const two = await torchrun();
    for (const name of ['barlow', 'vicreg'] as const) {
      expect(two[name]).toHaveLength(2);
      for (const step of [0, 1]) expect(Math.abs(two[name][step] - one[name][step]), `${name} step ${step + 1}: ${two[name]} vs ${one[name]}`).toBeLessThan(1e-5);
      expect(one[name][1]).not.toBe(one[name][0]); // step 1 changed the weights
    }
    const local = await torchrun({ NO_GATHER: '1' });
    for (const name of ['barlow', 'vicreg'] as const) expect(Math.abs(local[name][0] - one[name][0]), name).toBeGreaterThan(1e-3);
  }, 240_000);
});

describe('parity with the tfjs runtime', () => {
  let tf: typeof tfc;
  let dataset: Dataset;
  beforeAll(async () => {
    tf = await tfOn('wasm');
    dataset = await loadDatasetSpec('fashion-mnist');
  });

  it.each(['barlow-twins', 'vicreg'])("%s: loss, gradients and the state after 1 and 3 steps under this CPU's PyTorch kernels and ATen's default", async (name) => {
    const tables = await parity(tf, template(name), dataset, [THIS_CPU, ATEN_DEFAULT]);
    for (const [label, rows] of tables) {
      expect(rows.every((r) => r.ok), formatTable(`${name}, PyTorch on ${label}`, rows)).toBe(true);
      expect(rows).toHaveLength(5);
    }
  }, 240_000);
});
