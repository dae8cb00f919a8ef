import torch


# --------------------------------------------------------------------------
# Barlow Twins (Zbontar et al. 2021, arXiv 2103.03230)
# --------------------------------------------------------------------------

def barlow_twins_loss(z, lambd):
    """sum_i (1 - C_ii)^2 + lambd * sum_{i != j} C_ij^2 (Eq. 1), C the cross-correlation of the two views
    standardized over the global batch: (z - mean) / sqrt(biased var + 1e-5), as BatchNorm1d(affine=False)."""
    if len(z) != 2:
        raise ValueError(f'Barlow Twins takes 2 views, got {len(z)}')
    a, b = gather_batch(z[0]), gather_batch(z[1])

    def standardized(x):
        c = x - x.mean(0, keepdim=True)
        return c / torch.sqrt(c.square().mean(0, keepdim=True) + 1e-5)

    c = standardized(a).t() @ standardized(b) / a.shape[0]
    off = 1 - torch.eye(c.shape[0], dtype=c.dtype, device=c.device)
    return (1 - torch.diagonal(c)).square().sum() + lambd * (c * off).square().sum()
