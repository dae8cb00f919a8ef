"""The PyTorch side of the parity harness (npm run parity).

Loads an exported train.py as a module, starts its Graph from the tfjs
runtime's initial state, feeds the same fixed views (augmentation off), and
writes the loss, every parameter's gradient, and the state after 3 optimizer
steps (with EMA updates) to pytorch.safetensors in DIR for the Node side to compare.
Run with Debian's python3-torch: /usr/bin/python3 parity.py train.py DIR
"""
import importlib.util
import json
import sys

import torch


def main(script, folder):
    spec = importlib.util.spec_from_file_location('exported', script)
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    meta = json.load(open(f'{folder}/meta.json'))
    names = meta['names']                                 # node id -> Python attribute
    init = train.load_safetensors(f'{folder}/init.safetensors')
    views = train.load_safetensors(f'{folder}/views.safetensors')['views']          # [V, B, H, W, C]
    views = [v.permute(0, 3, 1, 2).contiguous() for v in views]

    def fresh():
        graph = train.Graph()
        state = {}
        for key, value in init.items():
            node, rest = key.split('.', 1)
            state[f'{names[node]}.{rest}'] = value
        missing, unexpected = graph.load_state_dict(state, strict=False)
        missing = [m for m in missing if not m.endswith('num_batches_tracked')]
        if missing or unexpected:
            raise SystemExit(f'state does not fit: missing {missing}, unexpected {unexpected}')
        return graph

    attr_to_node = {a: n for n, a in names.items()}
    to_key = lambda name: attr_to_node[name.split('.', 1)[0]] + '.' + name.split('.', 1)[1]
    out = {}

    graph = fresh()
    loss, _ = graph(None, None, views=views)
    loss.backward()
    out['loss'] = loss.detach().reshape(1)
    for name, p in graph.named_parameters():
        if p.grad is not None:
            out[f'grad/{to_key(name)}'] = p.grad

    graph = fresh()
    training = train.DOCUMENT['training']
    optimizer = train.make_optimizer(graph, training, train.PREDICTORS)
    base, steps = training['optimizer']['lr'], meta['steps']
    losses = []
    for k in range(steps):
        lr = train.learning_rate(base, training['schedule'], k, steps)
        for group in optimizer.param_groups:
            group['lr'] = base if group.get('fixed') else lr
        loss, _ = graph(None, None, views=views)
        losses.append(loss.item())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        for online, target, tau_base, schedule in train.EMA_LINKS:
            train.ema_update(getattr(graph, online), getattr(graph, target), train.ema_tau(tau_base, schedule, k, steps))
    out['losses'] = torch.tensor(losses, dtype=torch.float32)
    for name, t in graph.state_dict().items():
        if t.dtype == torch.float32:
            out[f'after/{to_key(name)}'] = t
    train.save_safetensors(out, f'{folder}/pytorch.safetensors')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
