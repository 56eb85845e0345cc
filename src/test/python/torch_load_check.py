"""PyTorch loads an Apprentice safetensors export strictly and gives DL4J's logits.

Usage: torch_load_check.py MODEL.safetensors IO.safetensors NAME CLASSES
MODEL holds the state dict under torchvision's names (as `export` writes it); IO holds 'input' and DL4J's 'logits'.
NAME is a torchvision ResNet (resnet18, resnet50) or a small-image one of torch_golden.py (resnet8, resnet20, ...).
Prints the relative error max|torch - dl4j| / max|dl4j|.
"""
import json
import struct
import sys

import torch

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import torch_golden  # noqa: E402

DTYPES = {"F32": torch.float32, "I64": torch.int64}


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=DTYPES[e["dtype"]]) if end > begin else \
            torch.zeros(0, dtype=DTYPES[e["dtype"]])
        tensors[name] = t.reshape(e["shape"])
    return tensors


def main(model_path, io_path, name, classes):
    state = read(model_path)
    channels = state["conv1.weight"].shape[1]
    net = torch_golden.network(name, channels, int(classes))
    net.load_state_dict(state, strict=True)
    net.eval()
    io = read(io_path)
    with torch.no_grad():
        logits = net(io["input"])
    print((logits - io["logits"]).abs().max().item() / io["logits"].abs().max().item())


if __name__ == "__main__":
    main(*sys.argv[1:5])
