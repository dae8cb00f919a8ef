import torch.nn as nn
import torch.nn.functional as F


class MLPLayer(nn.Module):
    def __init__(self, din, dout, norm, relu):
        super().__init__()
        if norm not in ('none', 'affine', 'non-affine'):
            raise ValueError(f'unknown MLP norm: {norm!r}')
        # no bias where a BatchNorm follows: its mean would cancel it
        self.linear = nn.Linear(din, dout, bias=norm == 'none')
        if norm != 'none':
            self.bn = nn.BatchNorm1d(dout, affine=norm == 'affine')
        self.relu = relu

    def forward(self, x):
        x = self.linear(x)
        if hasattr(self, 'bn'):
            x = self.bn(x)
        return F.relu(x) if self.relu else x


class MLP(nn.Module):
    """Projector / predictor: Linear -> BN -> ReLU hidden layers and an output Linear, optionally BN'd."""

    def __init__(self, input_dim, hidden_dim, output_dim, layers, hidden_bn=True, last_bn='none'):
        super().__init__()
        widths = [input_dim] + [hidden_dim] * (layers - 1) + [output_dim]
        norms = ['affine' if hidden_bn else 'none'] * (layers - 1) + [last_bn]
        self.layers = nn.ModuleList([MLPLayer(widths[i], widths[i + 1], norms[i], i < layers - 1) for i in range(layers)])

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
