import torch
import torch.nn.functional as F


# --------------------------------------------------------------------------
# VICReg (Bardes, Ponce & LeCun 2022, arXiv 2105.04906)
# --------------------------------------------------------------------------

def vicreg_loss(z, lambd, mu, nu, gamma, eps):
    """lambd * s(Z, Z') + mu * [v(Z) + v(Z')] + nu * [c(Z) + c(Z')] (Eq. 6, normalized as Algorithm 1): s the
    mean squared difference of this process's views (DDP averages it over processes), v and c over the global batch."""
    if len(z) != 2:
        raise ValueError(f'VICReg takes 2 views, got {len(z)}')
    invariance = (z[0] - z[1]).square().mean()

    def regularizers(x):
        x = gather_batch(x)
        n, d = x.shape
        c = x - x.mean(0, keepdim=True)
        std = torch.sqrt(c.square().sum(0) / (n - 1) + eps)
        cov = c.t() @ c / (n - 1)
        off = 1 - torch.eye(d, dtype=x.dtype, device=x.device)
        return F.relu(gamma - std).mean(), (cov * off).square().sum() / d

    (va, ca), (vb, cb) = regularizers(z[0]), regularizers(z[1])
    return lambd * invariance + mu * (va + vb) + nu * (ca + cb)
