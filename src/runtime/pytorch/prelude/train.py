import json
import math
import os
import struct
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------

def main(argv=None):
    """Returns the exit code: 0 trained, 1 a non-finite loss or state, 2 bad input or an output that cannot be written, 130 stopped."""
    args = parse_args(argv)
    distributed = int(os.environ.get('WORLD_SIZE', '1')) > 1
    try:
        with StopRequest(abort_on_repeat=not distributed) as stop:
            return train(args, distributed, stop)
    except ScriptError as e:
        say(f'{prog()}: {e}')
        return e.code


def train(args, distributed, stop):
    global DEVICE
    world = int(os.environ.get('WORLD_SIZE', '1')) if distributed else 1
    rank = int(os.environ.get('RANK', '0')) if distributed else 0
    if args.batch % world:
        raise ScriptError(f'--batch {args.batch} must divide over {world} processes')
    per_rank = args.batch // world
    if per_rank < 2:
        raise ScriptError(f'--batch {args.batch} over {world} processes is {per_rank} image per process; BatchNorm needs at least 2')
    (train_x, train_y), (test_x, test_y) = load_data(DATASET['source'], args.data)
    if train_x.shape[-1] != IN_CHANNELS:
        raise ScriptError(f'--data {args.data}: images have {train_x.shape[-1]} channels, the graph takes {IN_CHANNELS}')
    if args.batch > len(train_x):
        batch = f'--batch {args.batch}' if args.batch_flag else f'the document\'s training.batchSize ({args.batch})'
        raise ScriptError(f'{batch} is larger than the data: --data {args.data} has {len(train_x)} training images')
    check_out(args)
    checkpoint_path = os.path.join(args.out, CHECKPOINT_FILE)
    saved = None
    if args.resume:
        saved = load_checkpoint(checkpoint_path)
        check_resumable(checkpoint_path, saved, args, len(train_x), world)
    if args.sync_bn and distributed and not torch.cuda.is_available():
        raise ScriptError('--sync-bn needs CUDA: torch.nn.SyncBatchNorm runs on GPUs only')

    if distributed:
        local = int(os.environ.get('LOCAL_RANK', 0))
        if torch.cuda.is_available() and local >= torch.cuda.device_count():
            raise ScriptError(f'process {local} has no GPU of its own ({torch.cuda.device_count()} found): run fewer processes per node, '
                              'or on CPU with CUDA_VISIBLE_DEVICES=""')
        dist.init_process_group('nccl' if torch.cuda.is_available() else 'gloo')
        rank, world = dist.get_rank(), dist.get_world_size()
        if torch.cuda.is_available():
            torch.cuda.set_device(local)
    DEVICE = torch.device('cuda') if torch.cuda.is_available() else torch.device('cpu')
    try:
        return train_loop(args, distributed, stop, rank, world, per_rank, (train_x, train_y), (test_x, test_y), saved)
    finally:
        if distributed:
            dist.destroy_process_group()


def all_ranks(values, distributed):
    """Sums per-process values over all processes (a float64 tensor), so that every process takes the same decision."""
    t = torch.tensor(values, dtype=torch.float64, device=DEVICE)
    if distributed:
        dist.all_reduce(t)
    return t.tolist()


def train_loop(args, distributed, stop, rank, world, per_rank, train_set, test_set, saved):
    (train_x, train_y), (test_x, test_y) = train_set, test_set
    torch.manual_seed(args.seed)
    probe = eval_view(test_x[:PROBE_SIZE], CROP_SIZE).to(DEVICE)
    graph = Graph().to(DEVICE)
    if args.init_from:
        try:
            tensors = load_safetensors(args.init_from)
        except (OSError, ValueError, KeyError, struct.error, RuntimeError) as e:
            raise ScriptError(f'--init-from {args.init_from}: not a readable safetensors file ({e})')
        load_encoder(graph, tensors)
    if args.sync_bn and distributed:
        graph = nn.SyncBatchNorm.convert_sync_batchnorm(graph)
    optimizer = make_optimizer(graph, DOCUMENT['training'], PREDICTORS)
    gen = torch.Generator().manual_seed(args.seed * 1000 + rank)
    checkpoint_path = os.path.join(args.out, CHECKPOINT_FILE)
    encoder_path = os.path.join(args.out, ENCODER_FILE)
    step = 0
    last = None  # the last step's record, for the done line
    if saved is not None:
        restore(checkpoint_path, saved, graph, optimizer, gen, rank)
        step = saved['step']
    last_saved = step if saved is not None else None
    if rank == 0:
        prepare_out(args.out, last_saved)
        if saved is not None:  # a kill between checkpoint.pt and encoder.safetensors left the encoder of an earlier step
            save_encoder(graph, encoder_path, step)
    if distributed:
        dist.barrier()
    model = nn.parallel.DistributedDataParallel(graph) if distributed else graph

    sampler = torch.utils.data.DistributedSampler(range(len(train_x)), num_replicas=world, rank=rank, shuffle=True, seed=args.seed, drop_last=True)
    per_epoch = len(sampler) // per_rank                    # >= 1: the batch fits the data
    log = open(os.path.join(args.out, METRICS_FILE), 'a', encoding='utf-8') if rank == 0 else None

    def emit(record):
        if rank == 0:
            line = json.dumps(record)
            print(line, flush=True)
            try:
                log.write(line + '\n')
                log.flush()
            except OSError as e:
                raise ScriptError(f'cannot write {log.name}: {e.strerror or e}')

    def checkpoint():
        generators = [None] * world
        if distributed:
            dist.all_gather_object(generators, gen.get_state())
        else:
            generators[0] = gen.get_state()
        if rank == 0:
            save_checkpoint(checkpoint_path, dict(
                format=CHECKPOINT_FORMAT, version=CHECKPOINT_VERSION, trained=TRAINED_SHA256, step=step,
                run=dict(batch=args.batch, seed=args.seed, world=world, images=len(train_x)),
                graph=graph.state_dict(), optimizer=optimizer_state(optimizer), generators=generators, cpu_rng=torch.get_rng_state()))
            save_encoder(graph, encoder_path, step)
        return step

    kept = lambda: (f'; the last checkpoint (step {last_saved}) is kept in {checkpoint_path}' if last_saved is not None
                    else '; no checkpoint was written before it')
    base = DOCUMENT['training']['optimizer']['lr']
    started, failure = time.time(), None
    # the data order is a function of the step: epoch (the sampler's shuffle) and the batch within it
    epoch, offset = divmod(step, per_epoch)
    interrupted = all_ranks([stop.requested], distributed)[0] > 0
    try:
        while step < args.steps and not interrupted and failure is None:
            sampler.set_epoch(epoch)
            indices = list(sampler)
            for b in range(offset, per_epoch):
                t0 = time.time()
                lr = learning_rate(base, DOCUMENT['training']['schedule'], step, args.steps)
                for group in optimizer.param_groups:
                    group['lr'] = base if group.get('fixed') else lr
                images = to_float(train_x[indices[b * per_rank:(b + 1) * per_rank]]).to(DEVICE)
                loss, monitor = model(images, gen)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                taus = [ema_tau(tau_base, schedule, step, args.steps) for _, _, tau_base, schedule in EMA_LINKS]
                for (online, target, _, _), tau in zip(EMA_LINKS, taus):
                    ema_update(getattr(graph, online), getattr(graph, target), tau)
                update_state(graph, distributed)
                # the loss first: a non-finite one also makes the update non-finite, and is what to report
                loss_bad = not math.isfinite(loss.item())
                bad = None if loss_bad else first_non_finite(graph, optimizer)
                total, losses_bad, states_bad, stops = all_ranks([loss.item(), loss_bad, bad is not None, stop.requested], distributed)
                if losses_bad:
                    failure = f'loss is {total / world} at step {step + 1}: training stopped'
                elif states_bad:
                    failure = f'step {step + 1} left {bad or "the state of another process"} non-finite (its loss, {total / world}, was finite): training stopped'
                if failure:
                    break
                step += 1
                z = monitor['z'].detach()
                record = dict(step=step, loss=total / world if distributed else loss.item(), collapseStd=collapse_std(z),
                              stdReference=1 / math.sqrt(z.shape[1]), lr=lr, imagesPerSec=args.batch / (time.time() - t0))
                if taus:
                    record['tau'] = taus[0]
                if rank == 0 and (step % DOCUMENT['training']['evaluation']['rankEverySteps'] == 0 or step == args.steps):
                    record['effRank'], record['encoderEffRank'] = probe_ranks(graph, probe)
                emit(record)
                last = dict(record, dim=z.shape[1])
                if args.eval_every and step % args.eval_every == 0 and rank == 0:
                    e = DOCUMENT['training']['evaluation']
                    bank_n, query_n = e['bankSize'] or len(train_x), e['querySize'] or len(test_x)
                    top1 = knn_top1(getattr(graph, ENCODER), train_x[:bank_n], train_y[:bank_n], test_x[:query_n], test_y[:query_n],
                                    CROP_SIZE, e['k'], e['temperature'])
                    emit(dict(step=step, knnTop1=top1, bank=bank_n, queries=query_n))
                interrupted = stops > 0
                if step % args.checkpoint_every == 0 or step == args.steps or interrupted:
                    last_saved = checkpoint()
                if step >= args.steps or interrupted:
                    break
            epoch, offset = epoch + 1, 0
    except ScriptError as e:
        raise ScriptError(f'{e}{kept()}', e.code)
    if distributed and failure is None:
        # DDP broadcasts buffers from rank 0 before each forward; do it once more so every process ends with rank 0's state
        for buffer in graph.buffers():
            dist.broadcast(buffer, 0)
    done = dict(done=True, steps=step, seconds=round(time.time() - started, 3), world=world)
    if last is not None:
        # the CLI's done record: the last step's figures and the collapse rule's verdict
        done.update(loss=last['loss'], collapseStd=last['collapseStd'], stdReference=last['stdReference'], effRank=last.get('effRank'), dim=last['dim'],
                    collapsed=is_collapsed(last['collapseStd'], last.get('effRank'), last['dim']))
    if args.probe and rank == 0 and failure is None and not interrupted:
        done['probeTop1'] = probe_encoder(getattr(graph, ENCODER), train_x, train_y, test_x, test_y, CROP_SIZE)['top1']
    if interrupted:
        done['interrupted'] = True
    if failure:
        done['error'] = failure
    emit(done)
    if log:
        log.close()
    if args.checksum:
        print(json.dumps(dict(rank=rank, checksum=weights_checksum(graph))), file=sys.stderr, flush=True)
    if distributed:
        dist.barrier()  # no process leaves (destroy_process_group) while rank 0 still writes
    if failure:
        if rank == 0:
            say(f'{prog()}: {failure}{kept()}')
        return EXIT_NON_FINITE
    if interrupted:
        if rank == 0:
            where = f'the checkpoint (step {step}) is in {checkpoint_path}: continue with --resume' if last_saved == step else 'no checkpoint was written'
            say(f'{prog()}: stopped after step {step}; {where}')
        return EXIT_INTERRUPTED
    return EXIT_DONE


def concat_all_gather(x):
    """x (B, ...) on each process -> (world * B, ...) in rank order, without gradient (MoCo's concat_all_gather)."""
    parts = [torch.zeros_like(x) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, x.contiguous())
    return torch.cat(parts, 0)


def update_state(graph, distributed):
    """After the optimizer step: each node's training state from the inputs its forward saw (gathered from every process where the kind says so)."""
    with torch.no_grad():
        for attr, gather in STATE_NODES:
            inputs = graph.state_inputs.pop(attr)
            if gather and distributed:
                inputs = {port: [concat_all_gather(v) for v in views] for port, views in inputs.items()}
            getattr(graph, attr).update(**inputs)


def save_encoder(graph, path, step):
    save_safetensors(encoder_state(graph), path, dict(format='pt', producer='siamese-studio export', step=str(step)))


def encoder_state(graph):
    return {k: v for k, v in getattr(graph, ENCODER).state_dict().items() if v.dtype == torch.float32}


def load_encoder(graph, tensors):
    """Starts the online encoder (and the EMA targets copied from it) from safetensors in this layout."""
    encoder = getattr(graph, ENCODER)
    missing, unexpected = encoder.load_state_dict(tensors, strict=False)
    missing = [m for m in missing if not m.endswith('num_batches_tracked')]
    if missing or unexpected:
        raise ScriptError(f'--init-from: the weights do not fit the encoder (missing {missing}, unexpected {unexpected})')
    for online, target, _, _ in EMA_LINKS:
        getattr(graph, target).load_state_dict(getattr(graph, online).state_dict())
