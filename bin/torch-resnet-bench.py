#!/usr/bin/python3
"""The PyTorch side of `apprentice bench`: the same ResNet, the same training step, timed the same way.

Builds Apprentice's ResNets in plain PyTorch (no torchvision needed): the small-image family
(resnet8..110: 3x3 stem, stages of 16/32/64 channels, 1x1 projection shortcuts where the shape
changes) and the ImageNet family (resnet18..152, as torchvision defines them). Times full training
steps (forward, cross-entropy, backward, SGD with Nesterov momentum 0.9 and weight decay 1e-4) on
random data, and prints one JSON line: {"median_seconds": ..., "images_per_second": ..., ...}.

Usage: torch-resnet-bench.py MODEL BATCH C,H,W CLASSES WARMUP STEPS THREADS
Run by `bin/apprentice bench` with Debian's python3-torch; not a dependency of the tool.
"""
import json
import statistics
import sys
import time

import torch
from torch import nn

SMALL = {8: 1, 20: 3, 32: 5, 44: 7, 56: 9, 110: 18}
IMAGENET = {18: ("basic", [2, 2, 2, 2]), 34: ("basic", [3, 4, 6, 3]), 50: ("bottleneck", [3, 4, 6, 3]),
            101: ("bottleneck", [3, 4, 23, 3]), 152: ("bottleneck", [3, 8, 36, 3])}


def conv_bn(cin, cout, k, stride):
    return [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout)]


class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width
        self.body = nn.Sequential(*conv_bn(cin, width, 3, stride), nn.ReLU(inplace=True), *conv_bn(width, cout, 3, 1))
        self.shortcut = nn.Sequential(*conv_bn(cin, cout, 1, stride)) if stride != 1 or cin != cout else nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * 4
        self.body = nn.Sequential(*conv_bn(cin, width, 1, 1), nn.ReLU(inplace=True),
                                  *conv_bn(width, width, 3, stride), nn.ReLU(inplace=True),
                                  *conv_bn(width, cout, 1, 1))
        self.shortcut = nn.Sequential(*conv_bn(cin, cout, 1, stride)) if stride != 1 or cin != cout else nn.Identity()
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


def resnet(name, channels, classes):
    depth = int(name.replace("resnet", ""))
    if depth in SMALL:
        block, depths, widths = Basic, [SMALL[depth]] * 3, [16, 32, 64]
        layers = [*conv_bn(channels, 16, 3, 1), nn.ReLU(inplace=True)]
        cin = 16
    elif depth in IMAGENET:
        kind, depths = IMAGENET[depth]
        block, widths = (Basic if kind == "basic" else Bottleneck), [64, 128, 256, 512]
        layers = [nn.Conv2d(channels, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                  nn.MaxPool2d(3, 2, 1)]
        cin = 64
    else:
        raise SystemExit(f"unknown model {name}")
    for stage, (n, width) in enumerate(zip(depths, widths)):
        for i in range(n):
            b = block(cin, width, 2 if stage > 0 and i == 0 else 1)
            layers.append(b)
            cin = width * block.expansion
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def main():
    name, batch, shape, classes, warmup, steps, threads = sys.argv[1:8]
    batch, classes, warmup, steps, threads = int(batch), int(classes), int(warmup), int(steps), int(threads)
    c, h, w = (int(v) for v in shape.split(","))
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    net = resnet(name, c, classes).train()
    optimiser = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    x = torch.rand(batch, c, h, w)
    y = torch.arange(batch) % classes
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimiser.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), y)
        loss.backward()
        optimiser.step()

    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    print(json.dumps({"model": name, "batch": batch, "threads": threads, "torch": torch.__version__,
                      "median_seconds": median, "images_per_second": batch / median,
                      "parameters": sum(p.numel() for p in net.parameters())}))


if __name__ == "__main__":
    main()
