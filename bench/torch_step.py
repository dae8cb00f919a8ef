"""One training step of an exported train.py, timed (npm run bench).

/usr/bin/python3 bench/torch_step.py TRAIN_PY BATCH STEPS THREADS -> one JSON line
with the median ms/step of forward + backward + optimizer step (+ EMA), on
CUDA when available, else on CPU with THREADS threads.
"""
import importlib.util
import json
import statistics
import sys
import time

import torch


def main(script, batch, steps, threads):
    torch.set_num_threads(threads)
    spec = importlib.util.spec_from_file_location('exported', script)
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    train.DEVICE = device
    torch.manual_seed(0)
    graph = train.Graph().to(device)
    training = train.DOCUMENT['training']
    optimizer = train.make_optimizer(graph, training, train.PREDICTORS)
    images = torch.rand(batch, train.IN_CHANNELS, 28, 28, device=device)
    gen = torch.Generator().manual_seed(0)
    times = []
    for k in range(steps + 1):
        if device.type == 'cuda':
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        loss, _ = graph(images, gen)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        for online, target, tau_base, schedule in train.EMA_LINKS:
            train.ema_update(getattr(graph, online), getattr(graph, target), train.ema_tau(tau_base, schedule, k, steps + 1))
        loss.item()
        if device.type == 'cuda':
            torch.cuda.synchronize()
        if k > 0:  # the first step warms up
            times.append((time.perf_counter() - t0) * 1000)
    name = torch.cuda.get_device_name() if device.type == 'cuda' else f'CPU, {threads} threads'
    print(json.dumps(dict(ms=statistics.median(times), device=name, torch=torch.__version__)))


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
