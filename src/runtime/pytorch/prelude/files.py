import contextlib
import json
import os
import re

import torch


# --------------------------------------------------------------------------
# Files: each written whole (a temporary in the same folder, fsync, rename),
# so that a kill, a full disk or a second Ctrl-C leaves the old file or the
# new one. checkpoint.pt holds everything a resume needs; encoder.safetensors
# is written from the same state right after it, and again on --resume.
# --------------------------------------------------------------------------

TEMPORARY = re.compile(r'^\..+\.tmp-[0-9]+$')


def write_atomic(path, write):
    """Writes path whole or not at all; write(f) fills the temporary file (or bytes are written as they are)."""
    folder = os.path.dirname(path) or '.'
    tmp = os.path.join(folder, f'.{os.path.basename(path)}.tmp-{os.getpid()}')
    try:
        with open(tmp, 'wb') as f:
            if callable(write):
                write(f)
            else:
                f.write(write)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise ScriptError(f'cannot write {path}: {e.strerror or e}')
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def is_run_folder(out):
    try:
        with open(os.path.join(out, RUN_FILE), encoding='utf-8') as f:
            return json.load(f).get('format') == RUN_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def check_out(args):
    """Refuses an --out that would overwrite a user's files, or a --resume without a checkpoint; reads only, so every process decides alike."""
    out = args.out
    if os.path.exists(out) and not os.path.isdir(out):
        raise ScriptError(f'--out {out}: exists and is not a folder')
    if args.resume:
        path = os.path.join(out, CHECKPOINT_FILE)
        if not os.path.isfile(path):
            raise ScriptError(f'--resume: no checkpoint yet in {out} (expected {path})')
        return
    try:
        entries = sorted(os.listdir(out)) if os.path.isdir(out) else []
    except OSError as e:
        raise ScriptError(f'--out {out}: cannot read the folder: {e.strerror or e}')
    if entries and not is_run_folder(out) and not args.force:
        shown = ', '.join(entries[:3]) + (', …' if len(entries) > 3 else '')
        raise ScriptError(f'--out {out}: the folder is not empty ({shown}) and is not a run of this script; pass --force to write into it')


def prepare_out(out, resumed_step):
    """Rank 0: marks out as a run; a new run replaces the run there (its checkpoint first), a resume keeps the metrics up to its step."""
    try:
        os.makedirs(out, exist_ok=True)
        for name in os.listdir(out):
            if TEMPORARY.match(name):
                os.unlink(os.path.join(out, name))
    except OSError as e:
        raise ScriptError(f'--out {out}: {e.strerror or e}')
    write_atomic(os.path.join(out, RUN_FILE), (json.dumps(dict(format=RUN_FORMAT, version=1)) + '\n').encode())
    metrics = os.path.join(out, METRICS_FILE)
    if resumed_step is None:
        for name in (CHECKPOINT_FILE, ENCODER_FILE):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(out, name))
        write_atomic(metrics, b'')
    else:
        write_atomic(metrics, metrics_up_to(metrics, resumed_step))


def metrics_up_to(path, step):
    """The complete lines of a metrics log of steps <= step (and those of no step): a killed run's later records go."""
    try:
        with open(path, 'rb') as f:
            lines = f.read().decode('utf-8', 'replace').split('\n')
    except FileNotFoundError:
        return b''
    except OSError as e:
        raise ScriptError(f'cannot read {path}: {e.strerror or e}')
    kept = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # an empty line, or the half line of a killed write
        if isinstance(record, dict) and not (isinstance(record.get('step'), int) and record['step'] > step):
            kept.append(line + '\n')
    return ''.join(kept).encode()


def state_tensors(graph, optimizer):
    """(name, tensor) of every floating-point state: weights, BatchNorm statistics, EMA targets, optimizer state."""
    for name, t in graph.state_dict().items():
        if t.is_floating_point():
            yield name, t
    names = {id(p): n for n, p in graph.named_parameters()}
    for p, slots in optimizer.state.items():
        for slot, t in slots.items():
            if torch.is_tensor(t) and t.is_floating_point():
                yield f'optimizer state {slot} of {names.get(id(p), "?")}', t


def first_non_finite(graph, optimizer):
    tensors = list(state_tensors(graph, optimizer))
    if bool(torch.stack([torch.isfinite(t).all() for _, t in tensors]).all()):
        return None
    return next(name for name, t in tensors if not bool(torch.isfinite(t).all()))


def optimizer_state(optimizer):
    """The optimizer's state dict with its param groups (lr, momentum: floats) as JSON: torch 1.13's weights-only loader reads no floats."""
    state = optimizer.state_dict()
    return dict(state=state['state'], param_groups=json.dumps(state['param_groups']))


def save_checkpoint(path, state):
    write_atomic(path, lambda f: torch.save(state, f))


def load_checkpoint(path):
    """checkpoint.pt, checked: format, version, the graph it was trained on; tensors only (weights_only: no code runs from the file)."""
    try:
        state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:
        raise ScriptError(f'--resume: {path}: not a checkpoint of this script ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ""})')
    if not isinstance(state, dict) or state.get('format') != CHECKPOINT_FORMAT:
        raise ScriptError(f'--resume: {path}: not a checkpoint of this version of the script (start a new run, or another --out)')
    if state.get('version') != CHECKPOINT_VERSION:
        raise ScriptError(f'--resume: {path}: checkpoint version {state.get("version")!r}; this script reads version {CHECKPOINT_VERSION}')
    if state.get('trained') != TRAINED_SHA256:
        raise ScriptError(f'--resume: {path}: trained on another graph (sha256 {str(state.get("trained"))[:16]}…; this script\'s {TRAINED_SHA256[:16]}…)')
    for key, kind in (('step', int), ('run', dict), ('graph', dict), ('optimizer', dict), ('generators', list)):
        if not isinstance(state.get(key), kind):
            raise ScriptError(f'--resume: {path}: {key} is missing or not a {kind.__name__}')
    run = state['run']
    if not all(isinstance(run.get(k), int) for k in ('batch', 'seed', 'world', 'images')):
        raise ScriptError(f'--resume: {path}: run must hold the integers batch, seed, world and images')
    return state


def check_resumable(path, state, args, images, world):
    """What fixes the data order and the augmentations must be this run's, or the losses would differ from an uninterrupted run."""
    run = state['run']
    for flag, saved, now in (('--batch', run['batch'], args.batch), ('--seed', run['seed'], args.seed)):
        if saved != now:
            raise ScriptError(f'--resume: {path} was trained with {flag} {saved}, this run has {flag} {now}: the data order depends on it')
    if run['world'] != world:
        raise ScriptError(f'--resume: {path} was written by {run["world"]} processes, this run has {world}: the data order depends on it')
    if run['images'] != images:
        raise ScriptError(f'--resume: {path} was trained on {run["images"]} images, --data {args.data} has {images}')
    if state['step'] > args.steps:
        raise ScriptError(f'--resume: {path} is at step {state["step"]}, past --steps {args.steps}')


def restore(path, state, graph, optimizer, gen, rank):
    try:
        graph.load_state_dict(state['graph'])
        optimizer.load_state_dict(dict(state=state['optimizer']['state'], param_groups=json.loads(state['optimizer']['param_groups'])))
        gen.set_state(state['generators'][rank])
        torch.set_rng_state(state['cpu_rng'])
    except (RuntimeError, ValueError, KeyError, IndexError, TypeError) as e:
        raise ScriptError(f'--resume: {path}: does not fit this graph ({(str(e).strip().splitlines() or [type(e).__name__])[0]})')
    bad = first_non_finite(graph, optimizer)
    if bad:
        raise ScriptError(f'--resume: {path}: {bad} holds a non-finite value')
