import math

import torch
import torch.nn.functional as F


# --------------------------------------------------------------------------
# Augmentations: batched tensor ops with per-sample random draws, each with
# its own per-view probability, in the order of BYOL's Table 6: random resized
# crop with flip, colour jitter (brightness, contrast, saturation, hue as a
# YIQ rotation; a fixed order), grayscale, Gaussian blur, solarize.
# One-channel images skip the colour ops.
# --------------------------------------------------------------------------

EDGE = 2.0 ** -20


def crop_boxes(b, h, w, scale, ratio, flip_p, gen):
    """torchvision's RandomResizedCrop.get_params per sample, as normalized boxes (y1, x1, y2, x2); x1 > x2 flips."""
    boxes = []
    for _ in range(b):
        flip = torch.rand(1, generator=gen).item() < flip_p
        area = h * w
        found = False
        for _ in range(10):
            target = area * (scale[0] + (scale[1] - scale[0]) * torch.rand(1, generator=gen).item())
            log_r = math.log(ratio[0]) + (math.log(ratio[1]) - math.log(ratio[0])) * torch.rand(1, generator=gen).item()
            aspect = math.exp(log_r)
            cw, ch = round(math.sqrt(target * aspect)), round(math.sqrt(target / aspect))
            if 0 < cw <= w and 0 < ch <= h:
                top = int(torch.randint(0, h - ch + 1, (1,), generator=gen))
                left = int(torch.randint(0, w - cw + 1, (1,), generator=gen))
                found = True
                break
        if not found:
            cw, ch = w, h
            if w / h < ratio[0]:
                ch = round(w / ratio[0])
            elif w / h > ratio[1]:
                cw = round(h * ratio[1])
            top, left = (h - ch) // 2, (w - cw) // 2
        inside = lambda p: min(max(p, EDGE), 1 - EDGE)
        y1, y2 = inside(top / (h - 1)), inside((top + ch - 1) / (h - 1))
        x1, x2 = inside(left / (w - 1)), inside((left + cw - 1) / (w - 1))
        boxes.append((y1, x2, y2, x1) if flip else (y1, x1, y2, x2))
    return torch.tensor(boxes, dtype=torch.float32)


def crop_and_resize(images, boxes, size):
    """Bilinear crop-and-resize of each image to its box, as tf.image.crop_and_resize."""
    b = images.shape[0]
    t = torch.linspace(0, 1, size, device=boxes.device)
    ys = boxes[:, 0:1] + (boxes[:, 2:3] - boxes[:, 0:1]) * t      # [B, S], normalized
    xs = boxes[:, 1:2] + (boxes[:, 3:4] - boxes[:, 1:2]) * t
    grid = torch.stack([xs[:, None, :].expand(b, size, size), ys[:, :, None].expand(b, size, size)], dim=-1) * 2 - 1
    return F.grid_sample(images, grid, mode='bilinear', padding_mode='zeros', align_corners=True)


def grayscale(x):
    if x.shape[1] == 1:
        return x
    return (x * torch.tensor([0.299, 0.587, 0.114], device=x.device).view(1, 3, 1, 1)).sum(1, keepdim=True)


YIQ = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
YIQ_INV = torch.tensor([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.106, 1.703]])


def rotate_hue(x, turns):
    cos, sin = torch.cos(2 * math.pi * turns), torch.sin(2 * math.pi * turns)
    rot = torch.zeros(len(turns), 3, 3, device=x.device)
    rot[:, 0, 0] = 1
    rot[:, 1, 1], rot[:, 1, 2], rot[:, 2, 1], rot[:, 2, 2] = cos, -sin, sin, cos
    m = YIQ_INV.to(x.device) @ rot @ YIQ.to(x.device)                      # [B, 3, 3]
    return torch.einsum('bij,bjhw->bihw', m, x)


def blur_kernel_size(side):
    return max(3, 2 * round(side / 20) + 1)


def gaussian_blur(x, sigmas):
    """Separable Gaussian blur with a sigma per sample (0: untouched); zero padding."""
    b, c, h, w = x.shape
    k = blur_kernel_size(min(h, w))
    r = torch.arange(k, device=x.device, dtype=torch.float32) - (k - 1) / 2
    kernel = torch.exp(-r[None, :] ** 2 / (2 * sigmas.clamp(min=1e-6)[:, None] ** 2))
    kernel = kernel / kernel.sum(1, keepdim=True)
    delta = torch.zeros(k, device=x.device)
    delta[(k - 1) // 2] = 1
    kernel = torch.where((sigmas > 0)[:, None], kernel, delta)
    weight = kernel.repeat_interleave(c, 0)                                 # [B*C, k]
    folded = x.reshape(1, b * c, h, w)
    folded = F.conv2d(folded, weight.view(b * c, 1, 1, k), padding=(0, k // 2), groups=b * c)
    folded = F.conv2d(folded, weight.view(b * c, 1, k, 1), padding=(k // 2, 0), groups=b * c)
    return folded.view(b, c, h, w)


def augment_view(images, size, v, gen):
    b, c, h, w = images.shape
    x = crop_and_resize(images, crop_boxes(b, h, w, v['cropScale'], v['cropRatio'], v['flipP'], gen).to(images.device), size)
    draw = lambda: torch.rand(b, generator=gen).to(images.device)
    uniform = lambda lo, hi: lo + (hi - lo) * draw()
    per = lambda t: t.view(b, 1, 1, 1)
    jitter = draw() < v['jitterP']
    one = torch.ones(b, device=images.device)
    if v['brightness'] > 0:
        x = (x * per(torch.where(jitter, uniform(max(0, 1 - v['brightness']), 1 + v['brightness']), one))).clamp(0, 1)
    if v['contrast'] > 0:
        mean = grayscale(x).mean(dim=(1, 2, 3), keepdim=True)
        x = ((x - mean) * per(torch.where(jitter, uniform(max(0, 1 - v['contrast']), 1 + v['contrast']), one)) + mean).clamp(0, 1)
    if c == 3 and v['saturation'] > 0:
        g = grayscale(x)
        x = ((x - g) * per(torch.where(jitter, uniform(max(0, 1 - v['saturation']), 1 + v['saturation']), one)) + g).clamp(0, 1)
    if c == 3 and v['hue'] > 0:
        x = rotate_hue(x, torch.where(jitter, uniform(-v['hue'], v['hue']), one * 0)).clamp(0, 1)
    if c == 3:
        x = torch.where(per(draw() < v['grayscaleP']), grayscale(x).expand_as(x), x)
    sigmas = torch.where(draw() < v['blurP'], uniform(v['blurSigma'][0], v['blurSigma'][1]), one * 0)
    if bool((sigmas > 0).any()):
        x = gaussian_blur(x, sigmas)
    solarize = per(draw() < v['solarizeP']) & (x >= 0.5)
    return torch.where(solarize, 1 - x, x)


def augment(images, views, size, gen):
    """One batch [B, C, H, W] -> a list of V augmented views [B, C, size, size]."""
    return [augment_view(images, size, v, gen) for v in views]
