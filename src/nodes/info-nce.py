import torch
import torch.nn.functional as F


# --------------------------------------------------------------------------
# InfoNCE against a queue (MoCo)
# --------------------------------------------------------------------------

def info_nce_loss(q, k, queue, temperature):
    """MoCo Eq. 1, symmetrized: the mean over the images and the ordered view pairs i != j of
    -log softmax of q_i . k_j / t among it and q_i . n / t for the queue's keys n (all l2-normalized).
    Under DDP each process takes its own images against the shared queue; DDP averages the gradients."""
    v = len(q)
    negatives = F.normalize(queue, dim=1, eps=1e-12)
    qn = [F.normalize(x, dim=1, eps=1e-12) for x in q]
    kn = [F.normalize(x, dim=1, eps=1e-12) for x in k]
    terms = []
    for i in range(v):
        against = qn[i] @ negatives.t() / temperature
        for j in range(v):
            if i != j:
                positive = (qn[i] * kn[j]).sum(1, keepdim=True) / temperature
                terms.append((torch.logsumexp(torch.cat([positive, against], 1), 1) - positive[:, 0]).mean())
    return sum(terms) / len(terms)
