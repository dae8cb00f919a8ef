import torch
import torch.nn.functional as F


# --------------------------------------------------------------------------
# Linear probe: multinomial logistic regression with weight decay on the
# frozen encoder's features, trained to convergence (the runtime's
# src/runtime/linear-probe.ts, step for step; docs/semantics.md, Evaluation)
# --------------------------------------------------------------------------

PROBE_DECAY, PROBE_EPSILON, PROBE_MEMORY = 1e-2, 1e-5, 10
PROBE_MAX_ITERATIONS, PROBE_GRADIENT_TOLERANCE, PROBE_ARMIJO, PROBE_HALVINGS = 1000, 1e-4, 1e-4, 40


def standardize(train_f, test_f):
    """(x - mean) / sqrt(var + eps) with the train split's per-dimension statistics, in float64."""
    x = train_f.double()
    mean = x.mean(0)
    scale = 1 / (((x - mean) ** 2).mean(0) + PROBE_EPSILON).sqrt()
    return (x - mean) * scale, (test_f.double() - mean) * scale


def probe_objective(x, onehot, w, decay):
    """Mean cross-entropy + decay/2 * |W|^2 (no decay on the bias) and its gradient; w is W [d, C] then b [C], flattened."""
    n, d = x.shape
    classes = onehot.shape[1]
    W, b = w[:d * classes].view(d, classes), w[d * classes:]
    logits = x @ W + b
    f = (torch.logsumexp(logits, 1) - (logits * onehot).sum(1)).sum() / n + decay / 2 * (W * W).sum()
    r = (torch.softmax(logits, 1) - onehot) / n
    return f.item(), torch.cat([(x.T @ r + decay * W).reshape(-1), r.sum(0)])


def lbfgs_direction(g, pairs):
    """-H g by L-BFGS's two-loop recursion over the stored (s, y) pairs."""
    q = g.clone()
    alphas = []
    for s, y in reversed(pairs):
        a = (s @ q) / (y @ s)
        alphas.append(a)
        q -= a * y
    q *= (pairs[-1][0] @ pairs[-1][1]) / (pairs[-1][1] @ pairs[-1][1]) if pairs else 1 / g.norm()
    for (s, y), a in zip(pairs, reversed(alphas)):
        q += (a - (y @ q) / (y @ s)) * s
    return -q


@torch.no_grad()
def linear_probe(train_f, train_y, test_f, test_y, classes, max_iterations=PROBE_MAX_ITERATIONS):
    """Full-batch L-BFGS from zero on standardized float64 features; top-1 on the test features and how it stopped."""
    x, t = standardize(train_f, test_f)
    onehot = F.one_hot(train_y.to(x.device), classes).double()
    d = x.shape[1]
    w = torch.zeros(d * classes + classes, dtype=torch.float64, device=x.device)
    f, g = probe_objective(x, onehot, w, PROBE_DECAY)
    evaluations, iterations, stop, pairs = 1, 0, 'iterations', []
    while True:
        if g.abs().max().item() <= PROBE_GRADIENT_TOLERANCE:
            stop = 'gradient'
            break
        if iterations >= max_iterations:
            break
        p = lbfgs_direction(g, pairs)
        slope = (g @ p).item()
        found, step = None, 1.0
        for _ in range(PROBE_HALVINGS + 1):
            wn = w + step * p
            fn, gn = probe_objective(x, onehot, wn, PROBE_DECAY)
            evaluations += 1
            if fn <= f + PROBE_ARMIJO * step * slope:
                found = (wn, fn, gn)
                break
            step /= 2
        if found is None:
            stop = 'line-search'
            break
        pairs.append((found[0] - w, found[2] - g))
        if len(pairs) > PROBE_MEMORY:
            pairs.pop(0)
        w, f, g = found
        iterations += 1
    W, b = w[:d * classes].view(d, classes), w[d * classes:]
    top1 = ((t @ W + b).argmax(1) == test_y.to(x.device)).double().mean().item()
    return dict(top1=top1, iterations=iterations, evaluations=evaluations, loss=f, stop=stop, train=len(x), test=len(t))


def probe_encoder(encoder, train_x, train_y, test_x, test_y, size, classes=10):
    """The probe of the frozen encoder: its eval-mode features of both splits, un-augmented, computed once."""
    return linear_probe(encoder_features(encoder, train_x, size), train_y, encoder_features(encoder, test_x, size), test_y, classes)
