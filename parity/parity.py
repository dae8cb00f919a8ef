"""The PyTorch side of the parity harness (npm run parity).

Loads an exported train.py as a module, starts its Graph from the tfjs
runtime's initial state, feeds the same fixed views (augmentation off), and
writes to pytorch.safetensors in DIR, for the Node side to compare:
  loss, grad/<key>          the first forward/backward
  losses, after<k>/<key>    the 3 optimizer steps (with EMA updates): the
                            loss of each, the state after each step in
                            meta['snapshots']
  spread/<name>             for each of those and each grad/<key>, how far float32 rounding can
                            move it (see harness.ts): the largest deviation
                            over NUDGED_RUNS reruns whose initial state was
                            moved NUDGE_ULPS ulps per value, at random
Run with Debian's python3-torch: /usr/bin/python3 parity.py train.py DIR

Test hook: PARITY_TORCH_PERTURB=<name> changes the PyTorch side's semantics
on purpose (one of PERTURBATIONS below), so that a test can show the
harness catches a real difference. Never set outside tests.
"""
import importlib.util
import json
import os
import sys

import torch

NUDGED_RUNS = 3
NUDGE_ULPS = 16


def momentum(value):
    def apply(graph):
        for m in graph.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.momentum = value
    return apply


def biased_running_var(graph):
    """Running variance updated with the biased batch variance (÷N, not ÷(N−1))."""
    def before(m, inputs):
        m._saved_var = m.running_var.clone()

    def after(m, inputs, output):
        if m.training:
            x = inputs[0].detach()
            dims = [d for d in range(x.ndim) if d != 1]
            # a new buffer, not an in-place write: autograd saved the old one for backward
            m.running_var = (1 - m.momentum) * m._saved_var + m.momentum * x.var(dim=dims, unbiased=False)
    for m in graph.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.register_forward_pre_hook(before)
            m.register_forward_hook(after)


PERTURBATIONS = {'bn-momentum-0.11': momentum(0.11), 'bn-biased-var': biased_running_var}


def nudge(t, gen):
    """Every value moved NUDGE_ULPS ulps up or down at random (see harness.ts)."""
    toward = torch.where(torch.rand(t.shape, generator=gen) < 0.5, float('inf'), float('-inf'))
    for _ in range(NUDGE_ULPS):
        t = torch.nextafter(t, toward)
    return t


def main(script, folder):
    spec = importlib.util.spec_from_file_location('exported', script)
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    meta = json.load(open(f'{folder}/meta.json'))
    names = meta['names']                                 # node id -> Python attribute
    init = train.load_safetensors(f'{folder}/init.safetensors')
    views = train.load_safetensors(f'{folder}/views.safetensors')['views']          # [V, B, H, W, C]
    views = [v.permute(0, 3, 1, 2).contiguous() for v in views]
    perturb = os.environ.get('PARITY_TORCH_PERTURB')
    if perturb and perturb not in PERTURBATIONS:
        raise SystemExit(f'PARITY_TORCH_PERTURB={perturb}: not one of {", ".join(PERTURBATIONS)}')

    def fresh(gen=None):
        graph = train.Graph()
        state = {}
        for key, value in init.items():
            node, rest = key.split('.', 1)
            state[f'{names[node]}.{rest}'] = value if gen is None else nudge(value, gen)
        missing, unexpected = graph.load_state_dict(state, strict=False)
        missing = [m for m in missing if not m.endswith('num_batches_tracked')]
        if missing or unexpected:
            raise SystemExit(f'state does not fit: missing {missing}, unexpected {unexpected}')
        if perturb:
            PERTURBATIONS[perturb](graph)
        return graph

    attr_to_node = {a: n for n, a in names.items()}
    to_key = lambda name: attr_to_node[name.split('.', 1)[0]] + '.' + name.split('.', 1)[1]
    out = {}

    def first_pass(graph):
        loss, _ = graph(None, None, views=views)
        loss.backward()
        return loss.detach().reshape(1), {f'grad/{to_key(name)}': p.grad for name, p in graph.named_parameters() if p.grad is not None}

    out['loss'], grads = first_pass(fresh())
    out.update(grads)
    # the gradients' spread too: how far rounding can move them (their tolerance, see harness.ts)
    for seed in range(1, NUDGED_RUNS + 1):
        for k, g in first_pass(fresh(torch.Generator().manual_seed(seed)))[1].items():
            out[f'spread/{k}'] = torch.maximum(out.get(f'spread/{k}', torch.zeros_like(g)), (g - grads[k]).abs())

    def steps(graph):
        training = train.DOCUMENT['training']
        optimizer = train.make_optimizer(graph, training, train.PREDICTORS)
        base, count = training['optimizer']['lr'], meta['steps']
        losses, result = [], {}
        for k in range(count):
            lr = train.learning_rate(base, training['schedule'], k, count)
            for group in optimizer.param_groups:
                group['lr'] = base if group.get('fixed') else lr
            loss, _ = graph(None, None, views=views)
            losses.append(loss.item())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for online, target, tau_base, schedule in train.EMA_LINKS:
                train.ema_update(getattr(graph, online), getattr(graph, target), train.ema_tau(tau_base, schedule, k, count))
            train.update_state(graph, False)
            if k + 1 in meta['snapshots']:
                for name, t in graph.state_dict().items():
                    if t.dtype == torch.float32:
                        result[f'after{k + 1}/{to_key(name)}'] = t.detach().clone()
        result['losses'] = torch.tensor(losses, dtype=torch.float32)
        return result

    plain = steps(fresh())
    out.update(plain)
    spread = {k: torch.zeros_like(v) for k, v in plain.items()}
    for seed in range(1, NUDGED_RUNS + 1):
        nudged = steps(fresh(torch.Generator().manual_seed(seed)))
        for k in spread:
            spread[k] = torch.maximum(spread[k], (nudged[k] - plain[k]).abs())
    out.update({f'spread/{k}': v for k, v in spread.items()})
    train.save_safetensors(out, f'{folder}/pytorch.safetensors')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
