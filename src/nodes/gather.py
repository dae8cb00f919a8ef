import torch
import torch.distributed as dist


# --------------------------------------------------------------------------
# The global batch under DDP (losses over batch statistics or in-batch negatives)
# --------------------------------------------------------------------------

class _GatherWithGrad(torch.autograd.Function):
    """all_gather that keeps gradients (as lightly's GatherLayer): each rank gets the
    gradient of its own slice, summed over the ranks' copies of the global loss; DDP's
    gradient average then divides by the world size again, so a step equals one
    process on the global batch."""

    @staticmethod
    def forward(ctx, x):
        parts = [torch.zeros_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        return tuple(parts)

    @staticmethod
    def backward(ctx, *grads):
        g = torch.stack(grads)
        dist.all_reduce(g)
        return g[dist.get_rank()]


def gather_batch(x):
    """x (B, ...) on each rank -> (world * B, ...) in rank order, differentiable; x itself in one process."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return x
    return torch.cat(_GatherWithGrad.apply(x), 0)
