"""A safetensors file read with the standard library alone: its tensors' raw bytes, dtype and shape."""
import json
import struct


def safetensors_entries(path):
    """Yield (name, dtype, shape, raw little-endian bytes) of each tensor, in header order."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    data = blob[8 + n:]
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        yield name, e["dtype"], e["shape"], data[a:b]
