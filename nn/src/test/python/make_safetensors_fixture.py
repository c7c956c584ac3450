#!/usr/bin/python3
"""Writes the safetensors fixture that SafetensorsTest reads, and the values it must hold.

Run with Debian's python3 and python3-torch (1.13):

    /usr/bin/python3 nn/src/test/python/make_safetensors_fixture.py

The `safetensors` Python package is not in Debian, so this script writes the format by hand
with struct + json + the raw bytes of torch tensors, exactly as the reference writer lays it
out: an 8-byte little-endian header length, a compact JSON header padded with spaces to an
8-byte boundary, then each tensor's little-endian bytes back to back. The tensors themselves
(random draws, bfloat16/float16 rounding, int64 values) come from torch.

Outputs (beside the Java test resources):
  nn/src/test/resources/safetensors/torch.safetensors
  nn/src/test/resources/safetensors/torch.expected.json   name -> {dtype, shape, values}
  nn/src/test/resources/safetensors/torch_plain.safetensors  (F32/F64/I32 only, no metadata)
where each value is a float64 written with float.hex() (or Infinity/-Infinity/NaN), so the
Java test compares exactly, signed zeros and subnormals included.
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


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype in (torch.bfloat16, torch.float16):
        return t.view(torch.int16).numpy().tobytes()  # numpy has no bfloat16; same bits
    return t.numpy().tobytes()  # x86: little-endian already


def main():
    torch.manual_seed(1234)
    specials = [0.0, -0.0, 1.0, -2.5, float("inf"), float("-inf"), 1e-40, 3.4028234663852886e38]
    tensors = [
        # Deliberately not in name order: the file's order is the data order.
        ("layer.weight", "F32", torch.randn(3, 4, dtype=torch.float32)),
        ("special.f32", "F32", torch.tensor(specials, dtype=torch.float32)),
        ("bias.f64", "F64", torch.randn(5, dtype=torch.float64) * 1e3),
        ("emb.bf16", "BF16", torch.randn(2, 3, 2).to(torch.bfloat16)),
        ("special.bf16", "BF16", torch.tensor([0.0, -0.0, 1.0, float("inf"), -3.0e38, 1e-39], dtype=torch.bfloat16)),
        ("act.f16", "F16", torch.randn(4, 2).to(torch.float16)),
        ("special.f16", "F16", torch.tensor([65504.0, 6e-8, -0.0, float("-inf"), 1 / 3], dtype=torch.float16)),
        ("steps.i64", "I64", torch.tensor([0, -7, 2**31 - 1, -(2**31)], dtype=torch.int64)),
        ("labels.i32", "I32", torch.tensor([[1, 2], [3, -4]], dtype=torch.int32)),
        ("scalar", "F32", torch.tensor(0.5, dtype=torch.float32)),
        ("empty", "F32", torch.zeros(0, 3, dtype=torch.float32)),
    ]
    header = {"__metadata__": {"format": "pt", "source": "make_safetensors_fixture.py"}}
    data = b""
    expected = {}
    for name, dtype, t in tensors:
        b = raw_bytes(t)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(b)]}
        data += b
        values = t.to(torch.float64).flatten().tolist()
        expected[name] = {"dtype": dtype, "shape": list(t.shape), "values": [hexval(v) for v in values]}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "torch.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)
    with open(os.path.join(OUT, "torch.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    # The same layout as Proxima's writer (no metadata; F32/F64/I32 only, which it writes):
    # SafetensorsTest checks that reading this and writing it back gives identical bytes.
    plain = [(n, d, t) for n, d, t in tensors if d in ("F32", "F64", "I32")]
    header, data = {}, b""
    for name, dtype, t in plain:
        b = raw_bytes(t)
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)
    with open(os.path.join(OUT, "torch_plain.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)
    print("wrote", len(tensors), "tensors and", len(plain), "plain ones, torch", torch.__version__)


if __name__ == "__main__":
    main()
