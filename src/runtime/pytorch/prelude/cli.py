import argparse
import hashlib
import os
import re
import sys

import torch


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------

DEVICE = torch.device('cpu')
# Exit codes, as the siamese-studio CLI's
EXIT_DONE, EXIT_NON_FINITE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
RUN_FILE, RUN_FORMAT = 'run.json', 'siamese-studio.pytorch-run'
CHECKPOINT_FILE, CHECKPOINT_FORMAT, CHECKPOINT_VERSION = 'checkpoint.pt', 'siamese-studio.pytorch-checkpoint', 1
METRICS_FILE, ENCODER_FILE = 'metrics.jsonl', 'encoder.safetensors'


class ScriptError(Exception):
    """A run that cannot go on, said in one line; code 2: a flag, a file or the data; 1: a non-finite loss or state."""

    def __init__(self, message, code=EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


def prog():
    return os.path.basename(sys.argv[0]) or 'train.py'


def terminal_safe(text):
    """Control characters, bidi overrides and the like as visible escapes: a path or value can never retitle or clear a terminal."""
    return ''.join(c if c.isprintable() else ascii(c)[1:-1] for c in str(text))


def say(line):
    """One line on stderr, through os.write: also safe from a signal handler while Python is writing to a stream."""
    os.write(2, (terminal_safe(line) + '\n').encode('utf-8', 'backslashreplace'))


class ArgumentParser(argparse.ArgumentParser):
    """argparse, refusing in one line: PROG: error: argument --flag: why (exit 2)."""

    def error(self, message):
        say(f'{self.prog}: error: {message}')
        sys.exit(EXIT_BAD_INPUT)


def int_from(lo, hi):
    def parse(text):
        if not re.fullmatch('[0-9]+', text) or not lo <= int(text) <= hi:
            raise argparse.ArgumentTypeError(f'must be an integer from {lo} to {hi}, got {text!r}')
        return int(text)
    return parse


def parse_args(argv=None):
    ap = ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    t = DOCUMENT['training']
    ap.add_argument('--data', required=True, help='folder with the dataset files')
    ap.add_argument('--steps', type=int_from(1, BOUNDS['steps']), default=t['steps'], help='training steps (the schedules\' K)')
    ap.add_argument('--batch', type=int_from(2, BOUNDS['batchSize']), help=f'global batch size, split over processes (default: the document\'s, {t["batchSize"]})')
    ap.add_argument('--seed', type=int_from(0, BOUNDS['seed']), default=t['seed'])
    ap.add_argument('--eval-every', type=int_from(0, BOUNDS['steps']), default=0, help='kNN top-1 every N steps (0: never)')
    ap.add_argument('--probe', action='store_true', help='at the end, the linear probe\'s top-1 (frozen encoder, whole splits) in the done line')
    ap.add_argument('--out', default='out', help='folder for run.json, metrics.jsonl, checkpoint.pt and encoder.safetensors')
    ap.add_argument('--force', action='store_true', help='write into an --out folder that is not empty and not a run of this script')
    ap.add_argument('--resume', action='store_true', help='continue from OUT/checkpoint.pt, with the losses of an uninterrupted run')
    ap.add_argument('--init-from', help='encoder.safetensors to start the online encoder from')
    ap.add_argument('--sync-bn', action='store_true', help='BatchNorm statistics over all processes (SyncBatchNorm)')
    ap.add_argument('--checkpoint-every', type=int_from(1, BOUNDS['steps']), default=50, help='checkpoint every N steps (also at the end and on Ctrl-C)')
    ap.add_argument('--checksum', action='store_true', help='each process prints a checksum of its weights at the end')
    args = ap.parse_args(argv)
    args.batch_flag = args.batch is not None
    if args.batch is None:
        args.batch = t['batchSize']
    if args.resume and args.init_from:
        ap.error('argument --init-from: not with --resume (the checkpoint holds the weights)')
    return args


def weights_checksum(graph):
    h = hashlib.sha256()
    for name, t in sorted(graph.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()
