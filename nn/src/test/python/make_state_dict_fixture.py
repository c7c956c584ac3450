#!/usr/bin/python3
"""PyTorch's side of TorchStateDictTest: the state_dict() of Proxima's models rebuilt in PyTorch,
and PyTorch's logits from models that Proxima saved.

Run with Debian's python3 and python3-torch (1.13), from the repository root, after the Java
side has written the models (only needed when the architectures or the writer change):

    mvn -q -o -pl nn -am test -Dtest=TorchStateDictTest -Dsurefire.failIfNoSpecifiedTests=false \\
        -Dproxima.writeStateDictFixtures=true     # writes proxima_*.safetensors
    /usr/bin/python3 nn/src/test/python/make_state_dict_fixture.py

For each of Models.cnn, mlp, autoencoder and transformer (TransformerLM), built here as the same
architecture in PyTorch:
  - "state_dict": PyTorch's state_dict() at the sizes `proxima train --model NAME` uses, as
    [key, shape, dtype] in PyTorch's order (BatchNorm's num_batches_tracked included, int64);
  - "input" and "logits": the file proxima_NAME.safetensors (a small model of that architecture,
    saved by Proxima's Safetensors.writeStateDict, the writer of a run's model.safetensors, with
    BatchNorm statistics moved by two training batches) loaded with
    load_state_dict(..., strict=True), which fails on any missing, extra or misshapen key; then
    its eval-mode logits, in float32, on a seeded input.
These are also the README's lines that load a run's model.safetensors in PyTorch (`load_file`,
then `model.load_state_dict(..., strict=True)`), run on files Proxima wrote: the `safetensors`
package's load_file when it is installed (it is not in Debian), else the same reading by hand
(read_safetensors.py's: header length, JSON header, each tensor's little-endian bytes).

Output: nn/src/test/resources/state_dict/torch_state_dicts.json
"""
import json
import os
import struct

import torch
import torch.nn as nn

DIR = os.path.join(os.path.dirname(__file__), "..", "resources", "state_dict")

try:
    from safetensors.torch import load_file
except ImportError:  # not in Debian: the same reading by hand, beside this script
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from read_safetensors import load_file


# ---- Proxima's models as PyTorch modules (dev.proxima.nn.models.Models) ---------------------

def cnn(channels=1, height=28, width=28, c1=16, c2=32, hidden=128, classes=10):
    """Models.cnn: two blocks of conv3x3 (padding 1) + BatchNorm + ReLU + 2x2 max-pool, then Linear + ReLU + Linear."""
    return nn.Sequential(
        nn.Conv2d(channels, c1, 3, 1, 1), nn.BatchNorm2d(c1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, 1, 1), nn.BatchNorm2d(c2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * (height // 4) * (width // 4), hidden), nn.ReLU(), nn.Linear(hidden, classes))


def mlp(*sizes):
    """Models.mlp: Linear layers with ReLU between them."""
    layers = []
    for i in range(len(sizes) - 1):
        if i > 0:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
    return nn.Sequential(*layers)


def autoencoder(*sizes):
    """Models.autoencoder: an encoder down to the code and its mirror, ReLU except at the code and the output."""
    layers, k = [], len(sizes)
    for i in range(k - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < k:
            layers.append(nn.ReLU())
    for i in range(k - 1, 0, -1):
        layers.append(nn.Linear(sizes[i], sizes[i - 1]))
        if i > 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class LearnedPositions(nn.Module):
    """Proxima's LearnedPositionalEncoding: x + weight[:L] (PyTorch has no such layer)."""

    def __init__(self, max_len, d):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(max_len, d))

    def forward(self, x):
        return x + self.weight[: x.shape[1]]


class TransformerLM(nn.Module):
    """Proxima's TransformerLM: embedding + learned positions, pre-norm causal GELU encoder layers, LayerNorm, head."""

    def __init__(self, vocab, d, heads, layers, ff, max_len):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = LearnedPositions(max_len, d)
        self.blocks = nn.ModuleList([nn.TransformerEncoderLayer(d, heads, ff, dropout=0.0, activation="gelu",
                                                                batch_first=True, norm_first=True) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, tokens):
        x = self.pos(self.tok(tokens))
        causal = torch.triu(torch.ones(tokens.shape[1], tokens.shape[1], dtype=torch.bool), diagonal=1)
        for block in self.blocks:
            x = block(x, src_mask=causal)
        return self.head(self.norm(x))


def transformer(vocab=13, d=64, heads=4, layers=2, ff=128, max_len=17):
    return TransformerLM(vocab, d, heads, layers, ff, max_len)


# `proxima train --model NAME` (cli's Task: the copy task's vocabulary is 3 specials + 10 symbols, sequences of 2*8+1).
TRAIN_SIZES = {
    "cnn": lambda: cnn(),
    "mlp": lambda: mlp(784, 256, 128, 10),
    "autoencoder": lambda: autoencoder(784, 256, 64, 16),
    "transformer": lambda: transformer(),
}
# The saved models (TorchStateDictTest.SMALL), and an input for each.
SMALL = {
    "cnn": (lambda: cnn(1, 12, 12, 4, 6, 16, 10), lambda: torch.randn(3, 1, 12, 12)),
    "mlp": (lambda: mlp(20, 16, 12, 10), lambda: torch.randn(3, 20)),
    "autoencoder": (lambda: autoencoder(20, 12, 6, 3), lambda: torch.randn(3, 20)),
    "transformer": (lambda: transformer(13, 8, 2, 2, 16, 9), lambda: torch.randint(0, 13, (2, 9))),
}


def listing(model):
    return [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in model.state_dict().items()]


def encode(t):
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""), "values": t.reshape(-1).tolist()}


def main():
    torch.manual_seed(24)
    out = {"torch": torch.__version__, "state_dict": {}, "saved": {}}
    for name, make in TRAIN_SIZES.items():
        out["state_dict"][name] = listing(make())
    for name, (make, draw) in SMALL.items():
        model = make()
        # README's lines: the file a run writes, loaded strictly into the same architecture.
        model.load_state_dict(load_file(os.path.join(DIR, "proxima_" + name + ".safetensors")), strict=True)
        model.eval()
        x = draw()
        with torch.no_grad():
            logits = model(x)
        out["saved"][name] = {"input": encode(x), "logits": encode(logits),
                              "num_batches_tracked": {k: int(v) for k, v in model.state_dict().items() if k.endswith("num_batches_tracked")}}
    with open(os.path.join(DIR, "torch_state_dicts.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("wrote", len(TRAIN_SIZES), "state_dict listings and", len(SMALL), "models' logits, torch", torch.__version__)


if __name__ == "__main__":
    main()
