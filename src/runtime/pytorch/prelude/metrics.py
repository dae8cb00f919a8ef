import math

import torch
import torch.nn.functional as F


# --------------------------------------------------------------------------
# Metrics: collapse, effective rank (on the probe set), encoder features, kNN
# --------------------------------------------------------------------------

def collapse_std(z):
    """Per-dimension std of the l2-normalized output, averaged (SimSiam section 4.1); about 1/sqrt(d) when healthy."""
    return F.normalize(z, dim=1, eps=1e-12).std(dim=0).mean().item()


def is_collapsed(std, rank, dim):
    """The one collapse rule, as the CLI's (src/runtime/collapse.ts): std under 0.1/sqrt(d), or the probe set's rank under d/10."""
    return std < 0.1 / math.sqrt(dim) or (rank is not None and rank < dim / 10)


def effective_rank(z):
    """RankMe: exp of the entropy of the normalized singular values of the centred rows."""
    s = torch.linalg.svdvals((z - z.mean(0, keepdim=True)).double())
    p = s / s.sum() + 1e-7
    return math.exp(-(p * p.log()).sum().item())


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
def encoder_features(encoder, images, size, chunk=256):
    """The encoder's features of uint8 images in eval mode, un-augmented (eval_view), in chunks; its mode restored after."""
    was_training = encoder.training
    encoder.eval()
    out = torch.cat([encoder(eval_view(images[i:i + chunk], size).to(DEVICE)) for i in range(0, len(images), chunk)])
    encoder.train(was_training)
    return out


@torch.no_grad()
def knn_top1(encoder, bank, bank_labels, queries, query_labels, size, k=200, temperature=0.1, classes=10, chunk=256):
    """kNN monitor (k = 200, cosine similarity, exp(sim / t) weighted votes), as in lightly's benchmarks."""
    bank_f = F.normalize(encoder_features(encoder, bank, size, chunk), dim=1)
    query_f = F.normalize(encoder_features(encoder, queries, size, chunk), dim=1)
    hits = 0
    for i in range(0, len(query_f), chunk):
        sim = query_f[i:i + chunk] @ bank_f.T
        values, index = sim.topk(min(k, len(bank_f)), dim=1)
        votes = F.one_hot(bank_labels.to(DEVICE)[index], classes).float() * (values / temperature).exp()[..., None]
        hits += (votes.sum(1).argmax(1) == query_labels.to(DEVICE)[i:i + chunk]).sum().item()
    return hits / len(query_f)
