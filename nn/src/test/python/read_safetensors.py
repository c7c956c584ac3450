#!/usr/bin/python3
"""Reads a safetensors file into torch tensors and prints what it holds, for the Java tests.

    /usr/bin/python3 nn/src/test/python/read_safetensors.py FILE

The `safetensors` package is not in Debian, so this follows its reader by hand: the 8-byte
little-endian header length, the JSON header, and for each tensor torch.frombuffer over its
[begin, end) bytes with the dtype named, reshaped; the checks the reference makes (offsets
tile the data section, shape times dtype size matches) fail with an error. Prints one JSON
object: name -> {dtype: torch's name, shape, bits: the integer bit patterns (for bfloat16 and
float16, as int16), or values}.
"""
import json
import struct
import sys

import torch

DTYPES = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32, "F64": torch.float64,
          "I32": torch.int32, "I64": torch.int64}


def load_file(path):
    """safetensors.torch.load_file by hand: name -> tensor, in the order of the data section,
    after the reference reader's checks (offsets tile the data, sizes match the shapes)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    at = 0
    out = {}
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = e["data_offsets"]
        dtype = DTYPES[e["dtype"]]
        count = 1
        for d in e["shape"]:
            count *= d
        if begin != at or end - begin != count * torch.empty(0, dtype=dtype).element_size():
            raise ValueError(f"{name}: data_offsets {e['data_offsets']} do not follow at {at} with {count} elements")
        at = end
        out[name] = (torch.frombuffer(bytearray(data[begin:end]), dtype=dtype) if count else torch.empty(0, dtype=dtype)).reshape(e["shape"])
    if at != len(data):
        raise ValueError(f"{len(data) - at} trailing bytes")
    return out


def main(path):
    out = {}
    for name, t in load_file(path).items():
        r = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape)}
        if t.dtype in (torch.bfloat16, torch.float16):
            r["bits"] = t.reshape(-1).view(torch.int16).tolist()
        else:
            r["values"] = t.reshape(-1).tolist()
        out[name] = r
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
