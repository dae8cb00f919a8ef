import gzip
import math
import os
import struct

import torch


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
