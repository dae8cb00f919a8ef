/**
 * The Python half of an exported script: everything that does not depend on
 * the graph (data, augmentations, building blocks, losses, LARS, schedules,
 * kNN, safetensors, the training loop). It mirrors src/nodes and
 * src/runtime; the parity harness (npm run parity) checks that they agree.
 */
import { PROBE_SIZE } from '../probe';

export const PRELUDE = String.raw`
import argparse
import copy
import gzip
import hashlib
import json
import math
import os
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
        raise SystemExit(f'{path}: not an IDX file of unsigned bytes (magic 0x{magic:08x})')
    rank = magic & 0xFF
    dims = struct.unpack('>' + 'I' * rank, data[4:4 + 4 * rank])
    body = data[4 + 4 * rank:]
    if len(body) < math.prod(dims):
        raise SystemExit(f'{path}: truncated: {dims} needs {math.prod(dims)} bytes, has {len(body)}')
    return torch.frombuffer(bytearray(body[:math.prod(dims)]), dtype=torch.uint8).reshape(dims)


def find(folder, name):
    for candidate in (name + '.gz', name):
        path = os.path.join(folder, candidate)
        if os.path.exists(path):
            return path
    raise SystemExit(f'fashion-mnist: missing {name}(.gz) in {folder}')


def load_fashion_mnist(folder):
    split = lambda images, labels: (read_idx(find(folder, images)).unsqueeze(-1), read_idx(find(folder, labels)).long())
    return split('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'), split('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')


def load_cifar10(folder):
    def batch(name):
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            raise SystemExit(f'cifar10: missing {name} in {folder}')
        raw = torch.frombuffer(bytearray(open(path, 'rb').read()), dtype=torch.uint8).reshape(-1, 3073)
        return raw[:, 1:].reshape(-1, 3, 32, 32).permute(0, 2, 3, 1).contiguous(), raw[:, 0].long()
    parts = [batch(f'data_batch_{i}.bin') for i in range(1, 6)]
    return (torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])), batch('test_batch.bin')


def load_data(source, folder):
    if source in ('fashion-mnist', 'embedded'):
        return load_fashion_mnist(folder)
    if source == 'cifar10':
        return load_cifar10(folder)
    raise SystemExit(f'dataset source "{source}" is not supported by the exported script')


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

def save_safetensors(tensors, path, metadata=None):
    try:
        from safetensors.torch import save_file
        return save_file({k: v.contiguous() for k, v in tensors.items()}, path, metadata=metadata)
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
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text.encode() + b''.join(blobs))


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
            raise SystemExit(f'{path}: {name} is {entry["dtype"]}; only F32 is supported')
        begin, end = entry['data_offsets']
        out[name] = torch.frombuffer(bytearray(data[8 + n + begin:8 + n + end]), dtype=torch.float32).reshape(entry['shape'])
    return out


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------

DEVICE = torch.device('cpu')


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', required=True, help='folder with the dataset files')
    ap.add_argument('--steps', type=int, default=DOCUMENT['training']['steps'], help='training steps (the schedules\' K)')
    ap.add_argument('--batch', type=int, default=DOCUMENT['training']['batchSize'], help='global batch size (split over processes)')
    ap.add_argument('--seed', type=int, default=DOCUMENT['training']['seed'])
    ap.add_argument('--eval-every', type=int, default=0, help='kNN top-1 every N steps (0: never)')
    ap.add_argument('--out', default='out', help='folder for metrics.jsonl, checkpoint.pt and encoder.safetensors')
    ap.add_argument('--resume', action='store_true', help='continue from OUT/checkpoint.pt')
    ap.add_argument('--init-from', help='encoder.safetensors to start the online encoder from')
    ap.add_argument('--sync-bn', action='store_true', help='BatchNorm statistics over all processes (SyncBatchNorm)')
    ap.add_argument('--checkpoint-every', type=int, default=50)
    ap.add_argument('--checksum', action='store_true', help='each process prints a checksum of its weights at the end')
    return ap.parse_args(argv)


def weights_checksum(graph):
    h = hashlib.sha256()
    for name, t in sorted(graph.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def main(argv=None):
    global DEVICE
    args = parse_args(argv)
    distributed = 'WORLD_SIZE' in os.environ and int(os.environ['WORLD_SIZE']) > 1
    if distributed:
        local = int(os.environ.get('LOCAL_RANK', 0))
        if torch.cuda.is_available() and local >= torch.cuda.device_count():
            raise SystemExit(f'process {local} has no GPU of its own ({torch.cuda.device_count()} found): run fewer processes per node, '
                             'or on CPU with CUDA_VISIBLE_DEVICES=""')
        dist.init_process_group('nccl' if torch.cuda.is_available() else 'gloo')
        rank, world = dist.get_rank(), dist.get_world_size()
        if torch.cuda.is_available():
            torch.cuda.set_device(local)
    else:
        rank, world = 0, 1
    DEVICE = torch.device('cuda') if torch.cuda.is_available() else torch.device('cpu')
    if args.batch % world:
        raise SystemExit(f'--batch {args.batch} must divide over {world} processes')
    torch.manual_seed(args.seed)
    (train_x, train_y), (test_x, test_y) = load_data(DATASET['source'], args.data)

    if train_x.shape[-1] != IN_CHANNELS:
        raise SystemExit(f'{args.data}: images have {train_x.shape[-1]} channels, the graph takes {IN_CHANNELS}')
    probe = eval_view(test_x[:PROBE_SIZE], CROP_SIZE).to(DEVICE)
    graph = Graph().to(DEVICE)
    if args.init_from:
        load_encoder(graph, load_safetensors(args.init_from))
    if args.sync_bn and distributed:
        if DEVICE.type != 'cuda':
            raise SystemExit('--sync-bn needs CUDA: torch.nn.SyncBatchNorm runs on GPUs only')
        graph = nn.SyncBatchNorm.convert_sync_batchnorm(graph)
    optimizer = make_optimizer(graph, DOCUMENT['training'], PREDICTORS)
    os.makedirs(args.out, exist_ok=True)
    start = 0
    if args.resume:
        state = torch.load(os.path.join(args.out, 'checkpoint.pt'), map_location=DEVICE)
        graph.load_state_dict(state['graph'])
        optimizer.load_state_dict(state['optimizer'])
        start = state['step']
    model = nn.parallel.DistributedDataParallel(graph) if distributed else graph

    gen = torch.Generator().manual_seed(args.seed * 1000 + rank)
    per_rank = args.batch // world
    sampler = torch.utils.data.DistributedSampler(range(len(train_x)), num_replicas=world, rank=rank, shuffle=True, seed=args.seed, drop_last=True)
    log = open(os.path.join(args.out, 'metrics.jsonl'), 'a') if rank == 0 else None
    emit = lambda record: (print(json.dumps(record), flush=True), log.write(json.dumps(record) + '\n'), log.flush()) if rank == 0 else None
    base = DOCUMENT['training']['optimizer']['lr']
    step, epoch, started = start, 0, time.time()
    while step < args.steps:
        sampler.set_epoch(epoch)
        indices = list(sampler)
        for i in range(0, len(indices) - per_rank + 1, per_rank):
            if step >= args.steps:
                break
            t0 = time.time()
            lr = learning_rate(base, DOCUMENT['training']['schedule'], step, args.steps)
            for group in optimizer.param_groups:
                group['lr'] = base if group.get('fixed') else lr
            images = to_float(train_x[indices[i:i + per_rank]]).to(DEVICE)
            loss, monitor = model(images, gen)
            if not math.isfinite(loss.item()):
                raise SystemExit(f'loss is {loss.item()} at step {step + 1}: training stopped')
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            taus = [ema_tau(tau_base, schedule, step, args.steps) for _, _, tau_base, schedule in EMA_LINKS]
            for (online, target, _, _), tau in zip(EMA_LINKS, taus):
                ema_update(getattr(graph, online), getattr(graph, target), tau)
            step += 1
            if distributed:
                loss = loss.detach().clone()
                dist.all_reduce(loss)
                loss /= world
            z = monitor['z'].detach()
            record = dict(step=step, loss=loss.item(), collapseStd=collapse_std(z), stdReference=1 / math.sqrt(z.shape[1]), lr=lr,
                          imagesPerSec=args.batch / (time.time() - t0))
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
            if rank == 0 and (step % args.checkpoint_every == 0 or step == args.steps):
                torch.save(dict(graph=graph.state_dict(), optimizer=optimizer.state_dict(), step=step), os.path.join(args.out, 'checkpoint.pt'))
                save_safetensors(encoder_state(graph), os.path.join(args.out, 'encoder.safetensors'), dict(format='pt', producer='siamese-studio export', step=str(step)))
        epoch += 1
    if distributed:
        # DDP broadcasts buffers from rank 0 before each forward; do it once more so every process ends with rank 0's state
        for buffer in graph.buffers():
            dist.broadcast(buffer, 0)
    emit(dict(done=True, steps=step, seconds=round(time.time() - started, 3), world=world))
    if args.checksum:
        print(json.dumps(dict(rank=rank, checksum=weights_checksum(graph))), file=sys.stderr, flush=True)
    if distributed:
        dist.destroy_process_group()


def encoder_state(graph):
    return {k: v for k, v in getattr(graph, ENCODER).state_dict().items() if v.dtype == torch.float32}


def load_encoder(graph, tensors):
    """Starts the online encoder (and the EMA targets copied from it) from safetensors in this layout."""
    encoder = getattr(graph, ENCODER)
    missing, unexpected = encoder.load_state_dict(tensors, strict=False)
    missing = [m for m in missing if not m.endswith('num_batches_tracked')]
    if missing or unexpected:
        raise SystemExit(f'--init-from: the weights do not fit the encoder (missing {missing}, unexpected {unexpected})')
    for online, target, _, _ in EMA_LINKS:
        getattr(graph, target).load_state_dict(getattr(graph, online).state_dict())
`;
