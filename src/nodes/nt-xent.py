import torch
import torch.nn.functional as F


# --------------------------------------------------------------------------
# NT-Xent (SimCLR)
# --------------------------------------------------------------------------

NT_XENT_SELF_MASK = 1e9  # subtracted from an anchor's similarity with itself (SimCLR's LARGE_NUM)


def nt_xent_loss(z, temperature):
    """NT-Xent (Chen et al. 2020, SimCLR Eq. 1) over the global batch. z: V views (B, D) on this
    process, each gathered from every process (gather_batch: the negatives are the global
    batch's). Anchors: every view of every sample (V N); an anchor's positives are the other
    V - 1 views of its sample, its denominator every other anchor; -log softmax averaged over
    the positives, then the mean over the anchors. Every process computes the same global loss."""
    v = len(z)
    a = torch.cat([F.normalize(gather_batch(x), dim=1, eps=1e-12) for x in z], 0)  # anchor = view * N + sample
    n = a.shape[0] // v
    logits = a @ a.t() / temperature
    self_mask = torch.eye(v * n, dtype=a.dtype, device=a.device)
    positives = torch.eye(n, dtype=a.dtype, device=a.device).repeat(v, v) - self_mask
    others = torch.logsumexp(logits - NT_XENT_SELF_MASK * self_mask, 1)
    return (others - (positives * logits).sum(1) / (v - 1)).mean()
