"""An independent reader of safetensors files for the tests (numpy), to check what the engine writes."""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

DTYPES = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8"}


def read_file(file: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    raw = Path(file).read_bytes()
    (n,) = struct.unpack_from("<Q", raw, 0)
    header = json.loads(raw[8:8 + n])
    assert n % 8 == 0, "header not padded to 8 bytes"
    meta = header.pop("__metadata__", {})
    out = {}
    for name, t in header.items():
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=DTYPES[t["dtype"]]).reshape(t["shape"])
    return out, meta


def read_tensors(file: Path) -> dict[str, np.ndarray]:
    return read_file(file)[0]
