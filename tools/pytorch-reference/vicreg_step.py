"""PyTorch reference for docs/benchmarks.md: the CIFAR ResNet-18 VICReg training step, timed on this machine.

The same model as EquiRecon's `cifar-resnet18` + `vicreg` with paper-size heads (3x3 stem, no max-pool, stages
64-128-256-512 x 2 BasicBlocks, expander 512 -> 2048 -> 2048 -> 2048 with BatchNorm + ReLU, VICReg 25/25/1, AdamW,
global-norm clipping at 3). The views are random tensors (EquiRecon's augmentations are 0.5 % of its step).

    /usr/bin/python3 tools/pytorch-reference/vicreg_step.py --batch 256 --steps 3 --warmup 1 --threads 2
Prints images (pairs of views) per second. Debian 12's python3-torch (1.13, OpenBLAS) is what we compared against.
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class CifarResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        layers, cin = [], 64
        for i, w in enumerate([64, 128, 256, 512]):
            layers += [Block(cin, w, 1 if i == 0 else 2), Block(w, w, 1)]
            cin = w
        self.layers = nn.Sequential(*layers)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


def expander(d, w=2048):
    return nn.Sequential(nn.Linear(d, w), nn.BatchNorm1d(w), nn.ReLU(), nn.Linear(w, w), nn.BatchNorm1d(w), nn.ReLU(), nn.Linear(w, w))


def off_diagonal(m):
    n = m.shape[0]
    return m.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


def vicreg(z1, z2):
    inv = F.mse_loss(z1, z2)
    z1 = z1 - z1.mean(0)
    z2 = z2 - z2.mean(0)
    std1 = torch.sqrt(z1.var(0) + 1e-4)
    std2 = torch.sqrt(z2.var(0) + 1e-4)
    var = F.relu(1 - std1).mean() / 2 + F.relu(1 - std2).mean() / 2
    n, d = z1.shape
    c1 = (z1.T @ z1) / (n - 1)
    c2 = (z2.T @ z2) / (n - 1)
    cov = off_diagonal(c1).pow(2).sum() / d + off_diagonal(c2).pow(2).sum() / d
    return 25 * inv + 25 * var + cov


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    enc, exp = CifarResNet18(), expander(512)
    params = list(enc.parameters()) + list(exp.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-4)
    x1 = torch.randn(a.batch, 3, 32, 32)
    x2 = torch.randn(a.batch, 3, 32, 32)

    def step():
        loss = vicreg(exp(enc(x1)), exp(enc(x2)))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 3.0)
        opt.step()

    for _ in range(a.warmup):
        step()
    t = time.perf_counter()
    for _ in range(a.steps):
        step()
    s = time.perf_counter() - t
    print(f"pytorch {torch.__version__} threads={torch.get_num_threads()} mkldnn={torch.backends.mkldnn.is_available()} "
          f"batch={a.batch}: {a.steps * a.batch / s:.1f} images/s, {1000 * s / a.steps:.0f} ms/step")


if __name__ == "__main__":
    main()
