import math

import torch


# --------------------------------------------------------------------------
# Optimizers and schedules
# --------------------------------------------------------------------------

class LARS(torch.optim.Optimizer):
    """LARS as BYOL uses it (section 3.3): biases and BatchNorm parameters get neither adaptation nor weight decay."""

    def __init__(self, params, lr, momentum, weight_decay, trust_coefficient):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, trust_coefficient=trust_coefficient, lars=True))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group['params']:
                if p.grad is None:
                    continue
                g = p.grad
                if group['lars']:
                    g = g + group['weight_decay'] * p
                    wn, gn = p.norm(), g.norm()
                    if wn > 0 and gn > 0:
                        g = g * (group['trust_coefficient'] * wn / gn)
                state = self.state[p]
                if 'momentum' not in state:
                    state['momentum'] = g.clone()
                else:
                    state['momentum'].mul_(group['momentum']).add_(g)
                p.sub_(group['lr'] * state['momentum'])


def make_optimizer(graph, settings, predictor_names):
    """Parameter groups: the predictor's own (for a fixed lr) and, for LARS, what is not a weight apart:
    NOT_WEIGHTS, the state-dict names of the biases and norms, as their node kinds declare them."""
    opt = settings['optimizer']
    unknown = sorted(NOT_WEIGHTS - {n for n, _ in graph.named_parameters()})
    if unknown:
        raise ValueError(f'NOT_WEIGHTS names no parameter of the graph: {", ".join(unknown)}')
    named = [(n, p) for n, p in graph.named_parameters() if p.requires_grad]
    is_pred = lambda n: n.split('.')[0] in predictor_names
    groups = []
    for pred in (False, True):
        for flat in (False, True):
            params = [p for n, p in named if is_pred(n) == pred and (n in NOT_WEIGHTS) == flat]
            if params:
                groups.append(dict(params=params, fixed=pred and settings['schedule']['predictorFixedLr'], flat=flat))
    if opt['type'] == 'sgd':
        return torch.optim.SGD([dict(params=g['params'], fixed=g['fixed']) for g in groups], lr=opt['lr'], momentum=opt['momentum'],
                               weight_decay=opt['weightDecay'], nesterov=opt['nesterov'])
    if opt['type'] == 'lars':
        return LARS([dict(params=g['params'], fixed=g['fixed'], lars=not (g['flat'] and opt['excludeBiasAndNorm'])) for g in groups],
                    lr=opt['lr'], momentum=opt['momentum'], weight_decay=opt['weightDecay'], trust_coefficient=opt['trustCoefficient'])
    if opt['type'] in ('adam', 'adamw'):
        cls = torch.optim.Adam if opt['type'] == 'adam' else torch.optim.AdamW
        return cls([dict(params=g['params'], fixed=g['fixed']) for g in groups], lr=opt['lr'], betas=(opt['beta1'], opt['beta2']),
                   eps=opt['eps'], weight_decay=opt['weightDecay'])
    raise ValueError(f"unknown optimizer type: {opt['type']!r}")


def learning_rate(base, schedule, step, total):
    """Linear warmup, then cosine decay lr * 0.5 * (1 + cos(pi k / K)) or constant; k counts from 0."""
    warmup, decay = schedule['warmupSteps'], schedule['decay']
    if decay not in ('cosine', 'constant'):
        raise ValueError(f'unknown lr decay: {decay!r}')
    if step < warmup:
        return base * (step + 1) / warmup
    if decay == 'constant':
        return base
    span = max(1, total - warmup)
    return base * 0.5 * (1 + math.cos(math.pi * min(step - warmup, span) / span))


def ema_tau(tau_base, schedule, step, total):
    """BYOL: tau_k = 1 - (1 - tau_base) * (cos(pi k / K) + 1) / 2."""
    if schedule == 'constant':
        return tau_base
    if schedule == 'cosine':
        return 1 - (1 - tau_base) * (math.cos(math.pi * step / total) + 1) / 2
    raise ValueError(f'unknown EMA schedule: {schedule!r}')


@torch.no_grad()
def ema_update(online, target, tau):
    """xi <- tau * xi + (1 - tau) * theta, parameters only."""
    for po, pt in zip(online.parameters(), target.parameters()):
        pt.mul_(tau).add_(po, alpha=1 - tau)
