import torch
import torch.nn as nn
import torch.nn.functional as F


# --------------------------------------------------------------------------
# MoCo's queue of keys (training state)
# --------------------------------------------------------------------------

class KeyQueue(nn.Module):
    """The last K keys, K x D, row 0 the oldest: a buffer (the checkpoint holds it). It starts as
    MoCo's does, K random unit vectors (standard normal rows, l2-normalized)."""

    def __init__(self, size, dim):
        super().__init__()
        self.register_buffer('keys', F.normalize(torch.randn(size, dim), dim=1))

    def update(self, keys):
        """After the step: view 0's keys (one per image; under DDP those of every process), l2-normalized,
        in at the end; as many of the oldest out."""
        fresh = F.normalize(keys[0], dim=1, eps=1e-12)
        if len(fresh) > len(self.keys):
            raise ValueError(f'a queue of {len(self.keys)} keys cannot take a batch of {len(fresh)} keys')
        self.keys.copy_(torch.cat([self.keys[len(fresh):], fresh], 0))
