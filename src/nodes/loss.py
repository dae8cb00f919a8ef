import torch.nn.functional as F


# --------------------------------------------------------------------------
# Loss
# --------------------------------------------------------------------------

def siamese_loss(p, z, objective):
    """Mean over ordered view pairs i != j of D(p_i, z_j): D = -cos (SimSiam Eq. 1) or 2 - 2 cos (BYOL Eq. 2)."""
    v = len(p)
    cos = sum((F.normalize(p[i], dim=1, eps=1e-12) * F.normalize(z[j], dim=1, eps=1e-12)).sum(1).mean()
              for i in range(v) for j in range(v) if i != j) / (v * (v - 1))
    if objective == 'negative-cosine':
        return -cos
    if objective == 'normalized-l2':
        return 2 - 2 * cos
    raise ValueError(f'unknown loss objective: {objective!r}')
