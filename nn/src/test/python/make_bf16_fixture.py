#!/usr/bin/python3
"""Writes the bfloat16 safetensors fixture that SafetensorsBFloat16Test reads.

Run with Debian's python3 and python3-torch (1.13):

    /usr/bin/python3 nn/src/test/python/make_bf16_fixture.py

Separate from make_safetensors_fixture.py so that regenerating one does not change the other.
The file is laid out by hand as that script does (the `safetensors` package is not in Debian):
8-byte little-endian header length, compact JSON header padded with spaces to 8 bytes, then
each tensor's little-endian bytes. The bfloat16 values are torch's own: random draws rounded
by torch, float32 values on and near rounding ties narrowed by torch, and special values.

Outputs:
  nn/src/test/resources/safetensors/torch_bf16.safetensors
  nn/src/test/resources/safetensors/torch_bf16.expected.json
     name -> {shape, bits: the int16 bit patterns torch holds, source: the float32 each was
              rounded from, as float.hex() or Infinity/-Infinity/NaN, when there is one}
"""
import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "safetensors")


def hexval(x):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return float(x).hex()


def main():
    torch.manual_seed(22)
    # float32 values whose rounding to bfloat16 is decided by the dropped low 16 bits: ties
    # (0x8000) go to even, one above goes up, one below goes down; plus overflow to infinity,
    # subnormals and signed zero.
    highs = torch.randint(0, 0x7F7F, (16,), dtype=torch.int32)
    lows = torch.tensor([0x7FFF, 0x8000, 0x8001, 0x0000], dtype=torch.int32).repeat(4)
    ties = ((highs << 16) | lows).view(torch.float32)
    ties[::2] = -ties[::2]
    specials = torch.tensor([0.0, -0.0, 1.0, float("inf"), float("-inf"), float("nan"), 3.4028234663852886e38,
                             3.3895313892515355e38, 1e-40, -9.183549615799121e-41, 1.401298464324817e-45], dtype=torch.float32)
    sources = [
        ("weight", torch.randn(4, 6, dtype=torch.float32)),
        ("ties", ties),
        ("special", specials),
    ]
    tensors = [(name, src.to(torch.bfloat16), src) for name, src in sources]
    tensors.append(("scalar", torch.tensor(-2.5, dtype=torch.bfloat16), None))
    tensors.append(("empty", torch.zeros(0, 2, dtype=torch.bfloat16), None))

    header = {"__metadata__": {"source": "make_bf16_fixture.py"}}
    data = b""
    expected = {}
    for name, t, src in tensors:
        b = t.contiguous().view(torch.int16).numpy().tobytes()  # numpy has no bfloat16; same bits, little-endian on x86
        header[name] = {"dtype": "BF16", "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(b)]}
        data += b
        e = {"shape": list(t.shape), "bits": t.reshape(-1).view(torch.int16).tolist()}
        if src is not None:
            e["source"] = [hexval(v) for v in src.reshape(-1).tolist()]
        expected[name] = e
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "torch_bf16.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)
    with open(os.path.join(OUT, "torch_bf16.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print("wrote", len(tensors), "bfloat16 tensors, torch", torch.__version__)


if __name__ == "__main__":
    main()
