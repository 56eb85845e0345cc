#!/usr/bin/python3
"""The PyTorch side of `apprentice bench --layers`: forward + backward of one layer at a time, timed the same way.

Reads a JSON file {"threads": T, "warmup": W, "steps": S, "cases": [{"kind": ..., "n": N, "c": C, "h": H, "w": W,
...}, ...]} written by the bench, and prints one JSON line {"torch": version, "seconds": [median per case]}.
Kinds: conv (out, k, stride, pad; no bias), batchnorm (training mode), relu, add, maxpool (k, stride, pad),
avgpool (global); and the quantizers as a PyTorch user writes them with a straight-through estimator:
"conv fixed" (ternary weights, TWN's 0.7·mean|w| threshold and scale), "conv lsq" (LSQ weights, 2 bits),
"conv ttq" (TTQ: learned positive and negative scales), "act fixed" (clip to [0, 1], round to 4 bits),
"act lsq" (LSQ, 4 bits), "act pact" (PACT: learned clip, 4 bits).
Run by `bin/apprentice bench --layers` with Debian's python3-torch; not a dependency of the tool.
"""
import json
import statistics
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F


def ste(x, q):
    return x + (q - x).detach()


def ternary(w):
    delta = 0.7 * w.abs().mean()
    mask = (w.abs() > delta).to(w.dtype)
    alpha = (w.abs() * mask).sum() / mask.sum().clamp(min=1)
    return ste(w, alpha * torch.sign(w) * mask)


def lsq(x, step, low, high):
    v = torch.clamp(x / step, low, high)
    return ste(v, torch.round(v)) * step


def ttq(w, scales):
    t = 0.05 * w.abs().max()
    positive, negative = (w > t).to(w.dtype), (w < -t).to(w.dtype)
    return ste(w, torch.zeros_like(w)) + scales[0] * positive - scales[1] * negative


def pact(x, alpha):
    y = torch.minimum(F.relu(x), alpha)
    return ste(y, torch.round(y * 15 / alpha) * alpha / 15)


def layer(case):
    kind, c = case["kind"], case["c"]
    if kind.startswith("conv"):
        conv = nn.Conv2d(c, case["out"], case["k"], case["stride"], case["pad"], bias=False)
        if kind == "conv":
            return conv
        step = nn.Parameter(torch.tensor(0.05))
        scales = nn.Parameter(torch.tensor([0.1, 0.1]))
        quantize = {"conv fixed": ternary, "conv lsq": lambda w: lsq(w, step, -2, 1),
                    "conv ttq": lambda w: ttq(w, scales)}[kind]
        return lambda x: F.conv2d(x, quantize(conv.weight), None, case["stride"], case["pad"])
    if kind == "batchnorm":
        return nn.BatchNorm2d(c).train()
    if kind == "relu":
        return nn.ReLU()
    if kind == "maxpool":
        return nn.MaxPool2d(case["k"], case["stride"], case["pad"])
    if kind == "avgpool":
        return lambda x: x.mean((2, 3))
    if kind == "act fixed":
        return lambda x: ste(torch.clamp(x, 0, 1), torch.round(torch.clamp(x, 0, 1) * 15) / 15)
    if kind == "act lsq":
        step = nn.Parameter(torch.tensor(0.1))
        return lambda x: lsq(x, step, 0, 15)
    if kind == "act pact":
        alpha = nn.Parameter(torch.tensor(6.0))
        return lambda x: pact(x, alpha)
    return None


def seconds(case, warmup, steps):
    if case["kind"] == "add":
        f, inputs = (lambda a, b: a + b), 2
    else:
        f, inputs = layer(case), 1
    if f is None:
        return None
    xs = [torch.randn(case["n"], case["c"], case["h"], case["w"], requires_grad=True) for _ in range(inputs)]
    grad = torch.randn_like(f(*xs))
    times = []
    for i in range(warmup + steps):
        for x in xs:
            x.grad = None
        start = time.perf_counter()
        f(*xs).backward(grad)
        times.append(time.perf_counter() - start)
    return statistics.median(times[warmup:])


def main():
    with open(sys.argv[1]) as file:
        spec = json.load(file)
    torch.set_num_threads(spec["threads"])
    result = [seconds(case, spec["warmup"], spec["steps"]) for case in spec["cases"]]
    print(json.dumps({"torch": torch.__version__, "seconds": result}))


if __name__ == "__main__":
    main()
