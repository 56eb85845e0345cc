"""Golden files for Apprentice's import checks, made with PyTorch (Debian's python3-torch, python3-torchvision).

For each named ResNet: random weights from a fixed seed, batch-norm parameters and running statistics set to
non-trivial values, then in evaluation mode:
  NAME.safetensors     the state dict, torchvision's names (written by the safetensors library when it is
                       installed, else by write_safetensors below, which follows the documented format)
  NAME.onnx            torch.onnx.export of the same network (opset 13, batch-norm folded as PyTorch does)
  NAME.io.safetensors  'input' (2 images) and 'logits' (PyTorch's output for them)

  NAME.bn.onnx         with --batch-norm-nodes: the export with training=PRESERVE, batch norm as its own nodes

Usage: python3 torch_golden.py OUT_DIR [--batch-norm-nodes] NAME[:CHANNELS:SIZE:CLASSES] ...   e.g. resnet18 resnet8:1:28:10
ImageNet-shape names come from torchvision; the small-image family (resnet8, 14, 20, 32, 44, 56, 110) is
He et al.'s 6n+2 ResNet written with torchvision's BasicBlock and names (conv1, bn1, layer1..3, fc).
"""
import json
import struct
import sys

import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import BasicBlock


class SmallImageResNet(nn.Module):
    """He et al.'s CIFAR ResNet (3x3 stem, stages of 16/32/64, 1x1 projection shortcuts), torchvision names."""

    def __init__(self, depth, channels, classes):
        super().__init__()
        n = (depth - 2) // 6
        self.inplanes = 16
        self.conv1 = nn.Conv2d(channels, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._stage(16, n, 1)
        self.layer2 = self._stage(32, n, 2)
        self.layer3 = self._stage(64, n, 2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def _stage(self, width, blocks, stride):
        layers = []
        for b in range(blocks):
            s = stride if b == 0 else 1
            downsample = None
            if s != 1 or self.inplanes != width:
                downsample = nn.Sequential(nn.Conv2d(self.inplanes, width, 1, s, bias=False), nn.BatchNorm2d(width))
            layers.append(BasicBlock(self.inplanes, width, s, downsample))
            self.inplanes = width
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def network(name, channels, classes):
    depth = int(name[len("resnet"):])
    if depth in (18, 34, 50, 101, 152):
        net = getattr(torchvision.models, name)(num_classes=classes)
        if channels != 3:
            net.conv1 = nn.Conv2d(channels, 64, 7, 2, 3, bias=False)
        return net
    return SmallImageResNet(depth, channels, classes)


def randomise_batch_norm(net, generator):
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = torch.rand(c, generator=generator) + 0.5
            m.bias.data = torch.randn(c, generator=generator) * 0.1
            m.running_mean = torch.randn(c, generator=generator) * 0.1
            m.running_var = torch.rand(c, generator=generator) + 0.5
            m.num_batches_tracked = torch.tensor(100, dtype=torch.long)


DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.int64: "I64"}


def write_safetensors(tensors, path):
    """The safetensors layout: u64 little-endian header length, JSON header, then the raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for key, t in tensors.items():
        data = t.detach().contiguous().cpu().numpy().tobytes()
        header[key] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def save(tensors, path):
    try:
        from safetensors.torch import save_file
        save_file({k: v.contiguous() for k, v in tensors.items()}, path)
    except ImportError:
        write_safetensors(tensors, path)


def main(out, specs, batch_norm_nodes=False):
    for spec in specs:
        parts = spec.split(":")
        name = parts[0]
        channels, size, classes = (int(p) for p in parts[1:]) if len(parts) == 4 else (3, 224, 1000)
        torch.manual_seed(7)
        generator = torch.Generator().manual_seed(11)
        net = network(name, channels, classes)
        randomise_batch_norm(net, generator)
        net.eval()
        x = torch.randn(2, channels, size, size, generator=generator)
        with torch.no_grad():
            logits = net(x)
        save(dict(net.state_dict()), f"{out}/{name}.safetensors")
        save({"input": x, "logits": logits}, f"{out}/{name}.io.safetensors")
        torch.onnx.export(net, x, f"{out}/{name}.onnx", opset_version=13, input_names=["input"],
                          output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        if batch_norm_nodes:
            # batch norm kept as nodes (and weights passed through Identity nodes), as PRESERVE exports it
            torch.onnx.export(net, x, f"{out}/{name}.bn.onnx", opset_version=13, input_names=["input"],
                              output_names=["logits"], training=torch.onnx.TrainingMode.PRESERVE)
        print(f"{name}: {sum(p.numel() for p in net.parameters())} parameters, logits {tuple(logits.shape)}")


if __name__ == "__main__":
    flags = [a for a in sys.argv[2:] if a.startswith("--")]
    main(sys.argv[1], [a for a in sys.argv[2:] if not a.startswith("--")], "--batch-norm-nodes" in flags)
