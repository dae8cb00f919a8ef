import torch.nn as nn
import torch.nn.functional as F


# --------------------------------------------------------------------------
# Building blocks. Names follow the Siamese Studio runtime (and torchvision
# for ResNet), so that safetensors move between the two.
# --------------------------------------------------------------------------

class ConvBlock(nn.Module):
    """conv3x3 (no bias) + BatchNorm + ReLU."""

    def __init__(self, cin, cout, stride, batch_norm=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout) if batch_norm else nn.Identity()

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class ConvNet(nn.Module):
    """The reference workload's encoder: conv3x3 blocks, then global average pooling."""

    def __init__(self, in_channels, widths, strides, batch_norm=True):
        super().__init__()
        cins = [in_channels] + list(widths[:-1])
        self.blocks = nn.ModuleList([ConvBlock(ci, co, s, batch_norm) for ci, co, s in zip(cins, widths, strides)])

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x.mean(dim=(2, 3))


class BasicBlock(nn.Module):
    """ResNet's basic block (He et al. 2016)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet18(nn.Module):
    """ResNet-18 with a width multiplier; the CIFAR stem is "a 3x3 conv with stride 1 and no max-pooling" (SimSiam, App. D)."""

    def __init__(self, in_channels, width_multiplier=1.0, cifar_stem=True):
        super().__init__()
        widths = [max(1, round(w * width_multiplier)) for w in (64, 128, 256, 512)]
        self.cifar_stem = cifar_stem
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3 if cifar_stem else 7, 1 if cifar_stem else 2, 1 if cifar_stem else 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for stage, width in enumerate(widths):
            blocks = []
            for i in range(2):
                blocks.append(BasicBlock(cin, width, 2 if stage > 0 and i == 0 else 1))
                cin = width
            setattr(self, f'layer{stage + 1}', nn.Sequential(*blocks))

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        if not self.cifar_stem:
            x = F.max_pool2d(x, 3, 2, 1)
        for stage in range(1, 5):
            x = getattr(self, f'layer{stage}')(x)
        return x.mean(dim=(2, 3))
