/**
 * The Python half of an exported script: everything that does not depend on
 * the graph (data, augmentations, building blocks, losses, LARS, schedules,
 * kNN, safetensors, the training loop). It mirrors src/nodes and
 * src/runtime; the parity harness (npm run parity) checks that they agree.
 */
import { PROBE_SIZE } from '../probe';

export const PRELUDE = String.raw`
import argparse
import contextlib
import copy
import gzip
import hashlib
import json
import math
import os
import re
import signal
import struct
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F


# --------------------------------------------------------------------------
# Data: Fashion-MNIST (IDX, gzipped or raw) and CIFAR-10 (binary version),
# as uint8 tensors [N, H, W, C] with labels.
# --------------------------------------------------------------------------

def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('>I', data[:4])[0]
    if magic >> 16 != 0 or (magic >> 8) & 0xFF != 0x08:
        raise ScriptError(f'--data: {path}: not an IDX file of unsigned bytes (magic 0x{magic:08x})')
    rank = magic & 0xFF
    dims = struct.unpack('>' + 'I' * rank, data[4:4 + 4 * rank])
    body = data[4 + 4 * rank:]
    if len(body) < math.prod(dims):
        raise ScriptError(f'--data: {path}: truncated: {dims} needs {math.prod(dims)} bytes, has {len(body)}')
    return torch.frombuffer(bytearray(body[:math.prod(dims)]), dtype=torch.uint8).reshape(dims)


def find(folder, name):
    for candidate in (name + '.gz', name):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            if not os.path.isfile(path):
                raise ScriptError(f'--data: {path}: not a regular file')
            return path
    raise ScriptError(f'--data {folder}: missing {name}(.gz) (Fashion-MNIST\'s IDX files)')


def load_fashion_mnist(folder):
    split = lambda images, labels: (read_idx(find(folder, images)).unsqueeze(-1), read_idx(find(folder, labels)).long())
    return split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'), split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')


def load_cifar10(folder):
    def batch(name):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise ScriptError(f'--data {folder}: missing {name} (CIFAR-10\'s binary version)')
        raw = torch.frombuffer(bytearray(open(path, 'rb').read()), dtype=torch.uint8).reshape(-1, 3073)
        return raw[:, 1:].reshape(-1, 3, 32, 32).permute(0, 2, 3, 1).contiguous(), raw[:, 0].long()
    parts = [batch(f'data_batch_{i}.bin') for i in range(1, 6)]
    return (torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])), batch('test_batch.bin')


def load_data(source, folder):
    if source in ('fashion-mnist', 'embedded'):
        return load_fashion_mnist(folder)
    if source == 'cifar10':
        return load_cifar10(folder)
    raise ScriptError(f'dataset source {source!r} is not supported by the exported script')


def to_float(images):
    """uint8 [N, H, W, C] -> float [N, C, H, W] in [0, 1]."""
    return images.permute(0, 3, 1, 2).float().div(255)


# --------------------------------------------------------------------------
# Augmentations: batched tensor ops with per-sample random draws, each with
# its own per-view probability, in the order of BYOL's Table 6: random resized
# crop with flip, colour jitter (brightness, contrast, saturation, hue as a
# YIQ rotation; a fixed order), grayscale, Gaussian blur, solarize.
# One-channel images skip the colour ops.
# --------------------------------------------------------------------------

EDGE = 2.0 ** -20


def crop_boxes(b, h, w, scale, ratio, flip_p, gen):
    """torchvision's RandomResizedCrop.get_params per sample, as normalized boxes (y1, x1, y2, x2); x1 > x2 flips."""
    boxes = []
    for _ in range(b):
        flip = torch.rand(1, generator=gen).item() < flip_p
        area = h * w
        found = False
        for _ in range(10):
            target = area * (scale[0] + (scale[1] - scale[0]) * torch.rand(1, generator=gen).item())
            log_r = math.log(ratio[0]) + (math.log(ratio[1]) - math.log(ratio[0])) * torch.rand(1, generator=gen).item()
            aspect = math.exp(log_r)
            cw, ch = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
            if 0 < cw <= w and 0 < ch <= h:
                top = int(torch.randint(0, h - ch + 1, (1,), generator=gen))
                left = int(torch.randint(0, w - cw + 1, (1,), generator=gen))
                found = True
                break
        if not found:
            cw, ch = w, h
            if w / h < ratio[0]:
                ch = round(w / ratio[0])
            elif w / h > ratio[1]:
                cw = round(h * ratio[1])
            top, left = (h - ch) // 2, (w - cw) // 2
        inside = lambda p: min(max(p, EDGE), 1 - EDGE)
        y1, y2 = inside(top / (h - 1)), inside((top + ch - 1) / (h - 1))
        x1, x2 = inside(left / (w - 1)), inside((left + cw - 1) / (w - 1))
        boxes.append((y1, x2, y2, x1) if flip else (y1, x1, y2, x2))
    return torch.tensor(boxes, dtype=torch.float32)


def crop_and_resize(images, boxes, size):
    """Bilinear crop-and-resize of each image to its box, as tf.image.crop_and_resize."""
    b = images.shape[0]
    t = torch.linspace(0, 1, size, device=boxes.device)
    ys = boxes[:, 0:1] + (boxes[:, 2:3] - boxes[:, 0:1]) * t      # [B, S], normalized
    xs = boxes[:, 1:2] + (boxes[:, 3:4] - boxes[:, 1:2]) * t
    grid = torch.stack([xs[:, None, :].expand(b, size, size), ys[:, :, None].expand(b, size, size)], dim=-1) * 2 - 1
    return F.grid_sample(images, grid, mode='bilinear', padding_mode='zeros', align_corners=True)


def grayscale(x):
    if x.shape[1] == 1:
        return x
    return (x * torch.tensor([0.299, 0.587, 0.114], device=x.device).view(1, 3, 1, 1)).sum(1, keepdim=True)


YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
YIQ_INV = torch.tensor([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.106, 1.703]])


def rotate_hue(x, turns):
    cos, sin = torch.cos(2 * math.pi * turns), torch.sin(2 * math.pi * turns)
    rot = torch.zeros(len(turns), 3, 3, device=x.device)
    rot[:, 0, 0] = 1
    rot[:, 1, 1], rot[:, 1, 2], rot[:, 2, 1], rot[:, 2, 2] = cos, -sin, sin, cos
    m = YIQ_INV.to(x.device) @ rot @ YIQ.to(x.device)                      # [B, 3, 3]
    return torch.einsum('bij,bjhw->bihw', m, x)


def blur_kernel_size(side):
    return max(3, 2 * round(side / 20) + 1)


def gaussian_blur(x, sigmas):
    """Separable Gaussian blur with a sigma per sample (0: untouched); zero padding."""
    b, c, h, w = x.shape
    k = blur_kernel_size(min(h, w))
    r = torch.arange(k, device=x.device, dtype=torch.float32) - (k - 1) / 2
    kernel = torch.exp(-r[None, :] ** 2 / (2 * sigmas.clamp(min=1e-6)[:, None] ** 2))
    kernel = kernel / kernel.sum(1, keepdim=True)
    delta = torch.zeros(k, device=x.device)
    delta[(k - 1) // 2] = 1
    kernel = torch.where((sigmas > 0)[:, None], kernel, delta)
    weight = kernel.repeat_interleave(c, 0)                                 # [B*C, k]
    folded = x.reshape(1, b * c, h, w)
    folded = F.conv2d(folded, weight.view(b * c, 1, 1, k), padding=(0, k // 2), groups=b * c)
    folded = F.conv2d(folded, weight.view(b * c, 1, k, 1), padding=(k // 2, 0), groups=b * c)
    return folded.view(b, c, h, w)


def augment_view(images, size, v, gen):
    b, c, h, w = images.shape
    x = crop_and_resize(images, crop_boxes(b, h, w, v['cropScale'], v['cropRatio'], v['flipP'], gen).to(images.device), size)
    draw = lambda: torch.rand(b, generator=gen).to(images.device)
    uniform = lambda lo, hi: lo + (hi - lo) * draw()
    per = lambda t: t.view(b, 1, 1, 1)
    jitter = draw() < v['jitterP']
    one = torch.ones(b, device=images.device)
    if v['brightness'] > 0:
        x = (x * per(torch.where(jitter, uniform(max(0, 1 - v['brightness']), 1 + v['brightness']), one))).clamp(0, 1)
    if v['contrast'] > 0:
        mean = grayscale(x).mean(dim=(1, 2, 3), keepdim=True)
        x = ((x - mean) * per(torch.where(jitter, uniform(max(0, 1 - v['contrast']), 1 + v['contrast']), one)) + mean).clamp(0, 1)
    if c == 3 and v['saturation'] > 0:
        g = grayscale(x)
        x = ((x - g) * per(torch.where(jitter, uniform(max(0, 1 - v['saturation']), 1 + v['saturation']), one)) + g).clamp(0, 1)
    if c == 3 and v['hue'] > 0:
        x = rotate_hue(x, torch.where(jitter, uniform(-v['hue'], v['hue']), one * 0)).clamp(0, 1)
    if c == 3:
        x = torch.where(per(draw() < v['grayscaleP']), grayscale(x).expand_as(x), x)
    sigmas = torch.where(draw() < v['blurP'], uniform(v['blurSigma'][0], v['blurSigma'][1]), one * 0)
    if bool((sigmas > 0).any()):
        x = gaussian_blur(x, sigmas)
    solarize = per(draw() < v['solarizeP']) & (x >= 0.5)
    return torch.where(solarize, 1 - x, x)


def augment(images, views, size, gen):
    """One batch [B, C, H, W] -> a list of V augmented views [B, C, size, size]."""
    return [augment_view(images, size, v, gen) for v in views]


# --------------------------------------------------------------------------
# Building blocks. Names follow the Siamese Studio runtime (and torchvision
# for ResNet), so that safetensors move between the two.
# --------------------------------------------------------------------------

class ConvBlock(nn.Module):
    """conv3x3 (no bias) + BatchNorm + ReLU."""

    def __init__(self, cin, cout, stride, batch_norm=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout) if batch_norm else nn.Identity()

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class ConvNet(nn.Module):
    """The reference workload's encoder: conv3x3 blocks, then global average pooling."""

    def __init__(self, in_channels, widths, strides, batch_norm=True):
        super().__init__()
        cins = [in_channels] + list(widths[:-1])
        self.blocks = nn.ModuleList([ConvBlock(ci, co, s, batch_norm) for ci, co, s in zip(cins, widths, strides)])

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x.mean(dim=(2, 3))


class BasicBlock(nn.Module):
    """ResNet's basic block (He et al. 2016)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet18(nn.Module):
    """ResNet-18 with a width multiplier; the CIFAR stem is "a 3x3 conv with stride 1 and no max-pooling" (SimSiam, App. D)."""

    def __init__(self, in_channels, width_multiplier=1.0, cifar_stem=True):
        super().__init__()
        widths = [max(1, round(w * width_multiplier)) for w in (64, 128, 256, 512)]
        self.cifar_stem = cifar_stem
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3 if cifar_stem else 7, 1 if cifar_stem else 2, 1 if cifar_stem else 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for stage, width in enumerate(widths):
            blocks = []
            for i in range(2):
                blocks.append(BasicBlock(cin, width, 2 if stage > 0 and i == 0 else 1))
                cin = width
            setattr(self, f'layer{stage + 1}', nn.Sequential(*blocks))

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        if not self.cifar_stem:
            x = F.max_pool2d(x, 3, 2, 1)
        for stage in range(1, 5):
            x = getattr(self, f'layer{stage}')(x)
        return x.mean(dim=(2, 3))


class MLPLayer(nn.Module):
    def __init__(self, din, dout, norm, relu):
        super().__init__()
        # no bias where a BatchNorm follows: its mean would cancel it
        self.linear = nn.Linear(din, dout, bias=norm == 'none')
        if norm != 'none':
            self.bn = nn.BatchNorm1d(dout, affine=norm == 'affine')
        self.relu = relu

    def forward(self, x):
        x = self.linear(x)
        if hasattr(self, 'bn'):
            x = self.bn(x)
        return F.relu(x) if self.relu else x


class MLP(nn.Module):
    """Projector / predictor: Linear -> BN -> ReLU hidden layers and an output Linear, optionally BN'd."""

    def __init__(self, input_dim, hidden_dim, output_dim, layers, hidden_bn=True, last_bn='none'):
        super().__init__()
        widths = [input_dim] + [hidden_dim] * (layers - 1) + [output_dim]
        norms = ['affine' if hidden_bn else 'none'] * (layers - 1) + [last_bn]
        self.layers = nn.ModuleList([MLPLayer(widths[i], widths[i + 1], norms[i], i < layers - 1) for i in range(layers)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


# --------------------------------------------------------------------------
# Loss, metrics
# --------------------------------------------------------------------------

def siamese_loss(p, z, objective):
    """Mean over ordered view pairs i != j of D(p_i, z_j): D = -cos (SimSiam Eq. 1) or 2 - 2 cos (BYOL Eq. 2)."""
    v = len(p)
    cos = sum((F.normalize(p[i], dim=1, eps=1e-12) * F.normalize(z[j], dim=1, eps=1e-12)).sum(1).mean()
              for i in range(v) for j in range(v) if i != j) / (v * (v - 1))
    return -cos if objective == 'negative-cosine' else 2 - 2 * cos


def collapse_std(z):
    """Per-dimension std of the l2-normalized output, averaged (SimSiam section 4.1); about 1/sqrt(d) when healthy."""
    return F.normalize(z, dim=1, eps=1e-12).std(dim=0).mean().item()


def effective_rank(z):
    """RankMe: exp of the entropy of the normalized singular values of the centred rows."""
    s = torch.linalg.svdvals((z - z.mean(0, keepdim=True)).double())
    p = s / s.sum() + 1e-7
    return math.exp(-(p * p.log()).sum().item())


# The probe set of the effective rank, as in the runtime (src/runtime/probe.ts): the first
# PROBE_SIZE images of the test split, never the training batch (B samples cap the rank at B - 1).
PROBE_SIZE = ${PROBE_SIZE}


def eval_view(images, size):
    """uint8 [N, H, W, C] -> one un-augmented view [N, C, size, size] in [0, 1], bilinear where the size differs: what kNN and the probe see."""
    x = to_float(images)
    if x.shape[-1] != size or x.shape[-2] != size:
        x = F.interpolate(x, size=(size, size), mode='bilinear', align_corners=False)
    return x


@torch.no_grad()
def probe_ranks(graph, view):
    """RankMe of z and of the encoder features on the probe view, in eval mode (BatchNorm's running statistics, left unchanged)."""
    was_training = graph.training
    graph.eval()
    monitor = graph.probe(view)
    graph.train(was_training)
    return effective_rank(monitor['z']), effective_rank(monitor['features'])


@torch.no_grad()
def knn_top1(encoder, bank, bank_labels, queries, query_labels, size, k=200, temperature=0.1, classes=10, chunk=256):
    """kNN monitor (k = 200, cosine similarity, exp(sim / t) weighted votes), as in lightly's benchmarks."""
    was_training = encoder.training
    encoder.eval()
    def features(images):
        out = []
        for i in range(0, len(images), chunk):
            out.append(F.normalize(encoder(eval_view(images[i:i + chunk], size).to(DEVICE)), dim=1))
        return torch.cat(out)
    bank_f, query_f = features(bank), features(queries)
    hits = 0
    for i in range(0, len(query_f), chunk):
        sim = query_f[i:i + chunk] @ bank_f.T
        values, index = sim.topk(min(k, len(bank_f)), dim=1)
        votes = F.one_hot(bank_labels.to(DEVICE)[index], classes).float() * (values / temperature).exp()[..., None]
        hits += (votes.sum(1).argmax(1) == query_labels.to(DEVICE)[i:i + chunk]).sum().item()
    encoder.train(was_training)
    return hits / len(query_f)


# --------------------------------------------------------------------------
# Optimizers and schedules
# --------------------------------------------------------------------------

class LARS(torch.optim.Optimizer):
    """LARS as BYOL uses it (section 3.3): biases and BatchNorm parameters get neither adaptation nor weight decay."""

    def __init__(self, params, lr, momentum, weight_decay, trust_coefficient):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, trust_coefficient=trust_coefficient, lars=True))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                g = p.grad
                if group['lars']:
                    g = g + group['weight_decay'] * p
                    wn, gn = p.norm(), g.norm()
                    if wn > 0 and gn > 0:
                        g = g * (group['trust_coefficient'] * wn / gn)
                state = self.state[p]
                if 'momentum' not in state:
                    state['momentum'] = g.clone()
                else:
                    state['momentum'].mul_(group['momentum']).add_(g)
                p.sub_(group['lr'] * state['momentum'])


def make_optimizer(graph, settings, predictor_names):
    """Parameter groups: the predictor's own (for a fixed lr) and, for LARS, biases and norms apart."""
    opt = settings['optimizer']
    named = [(n, p) for n, p in graph.named_parameters() if p.requires_grad]
    is_pred = lambda n: n.split('.')[0] in predictor_names
    is_flat = lambda p: p.ndim <= 1            # biases and BatchNorm parameters
    groups = []
    for pred in (False, True):
        for flat in (False, True):
            params = [p for n, p in named if is_pred(n) == pred and is_flat(p) == flat]
            if params:
                groups.append(dict(params=params, fixed=pred and settings['schedule']['predictorFixedLr'], flat=flat))
    if opt['type'] == 'sgd':
        return torch.optim.SGD([dict(params=g['params'], fixed=g['fixed']) for g in groups], lr=opt['lr'], momentum=opt['momentum'],
                               weight_decay=opt['weightDecay'], nesterov=opt['nesterov'])
    if opt['type'] == 'lars':
        return LARS([dict(params=g['params'], fixed=g['fixed'], lars=not (g['flat'] and opt['excludeBiasAndNorm'])) for g in groups],
                    lr=opt['lr'], momentum=opt['momentum'], weight_decay=opt['weightDecay'], trust_coefficient=opt['trustCoefficient'])
    cls = torch.optim.Adam if opt['type'] == 'adam' else torch.optim.AdamW
    return cls([dict(params=g['params'], fixed=g['fixed']) for g in groups], lr=opt['lr'], betas=(opt['beta1'], opt['beta2']),
               eps=opt['eps'], weight_decay=opt['weightDecay'])


def learning_rate(base, schedule, step, total):
    """Linear warmup, then cosine decay lr * 0.5 * (1 + cos(pi k / K)) or constant; k counts from 0."""
    warmup = schedule['warmupSteps']
    if step < warmup:
        return base * (step + 1) / warmup
    if schedule['decay'] == 'constant':
        return base
    span = max(1, total - warmup)
    return base * 0.5 * (1 + math.cos(math.pi * min(step - warmup, span) / span))


def ema_tau(tau_base, schedule, step, total):
    """BYOL: tau_k = 1 - (1 - tau_base) * (cos(pi k / K) + 1) / 2."""
    return tau_base if schedule == 'constant' else 1 - (1 - tau_base) * (math.cos(math.pi * step / total) + 1) / 2


@torch.no_grad()
def ema_update(online, target, tau):
    """xi <- tau * xi + (1 - tau) * theta, parameters only."""
    for po, pt in zip(online.parameters(), target.parameters()):
        pt.mul_(tau).add_(po, alpha=1 - tau)


# --------------------------------------------------------------------------
# safetensors, read and written here when the safetensors package is absent
# --------------------------------------------------------------------------

def safetensors_bytes(tensors, metadata=None):
    try:
        from safetensors.torch import save
        return save({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, metadata=metadata)
    except ImportError:
        pass
    header, offset, blobs = {}, 0, []
    if metadata:
        header['__metadata__'] = metadata
    for name in sorted(tensors):
        data = tensors[name].detach().float().contiguous().cpu().numpy().tobytes()
        header[name] = dict(dtype='F32', shape=list(tensors[name].shape), data_offsets=[offset, offset + len(data)])
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header)
    text += ' ' * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack('<Q', len(text)) + text.encode() + b''.join(blobs)


def save_safetensors(tensors, path, metadata=None):
    write_atomic(path, safetensors_bytes(tensors, metadata))


def load_safetensors(path):
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        if entry['dtype'] != 'F32':
            raise ScriptError(f'{path}: {name} is {entry["dtype"]}; only F32 is supported')
        begin, end = entry['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[8 + n + begin:8 + n + end]), dtype=torch.float32).reshape(entry['shape'])
    return out


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


# --------------------------------------------------------------------------
# Ctrl-C: stop after the current step, with a checkpoint (exit 130)
# --------------------------------------------------------------------------

class StopRequest:
    """SIGINT (Ctrl-C) or SIGTERM sets a flag that the loop reads after each step. On one process a second
    one aborts at once (the last complete checkpoint stays); under torchrun the agent relays the terminal's
    Ctrl-C as a second SIGINT, so repeats are ignored there (the agent SIGKILLs after 30 s)."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, abort_on_repeat):
        self.requested = False
        self.abort_on_repeat = abort_on_repeat
        self.previous = {}

    def __enter__(self):
        for s in self.SIGNALS:
            self.previous[s] = signal.signal(s, self.handle)
        return self

    def __exit__(self, *exc):
        for s, handler in self.previous.items():
            signal.signal(s, handler)

    def handle(self, signum, frame):
        if self.requested and self.abort_on_repeat:
            say(f'{prog()}: aborted; the last complete checkpoint is kept')
            os._exit(EXIT_INTERRUPTED)
        first, self.requested = not self.requested, True
        if first and os.environ.get('RANK', '0') == '0':
            say(f'{prog()}: stopping after this step ({"Ctrl-C again to abort" if self.abort_on_repeat else "all processes"})…')


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
`;
