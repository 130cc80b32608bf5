"""
torch.save archives (.pt/.pth) as the readers' arrays, loaded with torch.load(weights_only=True):
tensors, dicts, lists, tuples, strings and numbers only, every other global refused by torch
itself. The layouts are the TypeScript reader's (src/core/readers/pytorchContents.ts): one tensor,
a pair (image, text), or a dict whose keys (nested dicts by dotted name) are the array names.
"""
from __future__ import annotations

import pickle
from typing import Any

import torch

from .errors import InputError


def _loaded(file: str) -> Any:
    try:
        return torch.load(file, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as err:
        raise InputError(file, f"torch.load(weights_only=True) refuses it: {_reason(err)}") from None


def _reason(err: BaseException) -> str:
    """The unpickler's own words ("Unsupported class posix.system"), not torch's advice around them."""
    text = " ".join(str(err).split())
    marker = "WeightsUnpickler error:"
    if marker in text:
        return text.split(marker, 1)[1].strip()
    return text or type(err).__name__


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def pt_arrays(file: str) -> dict[str, Any]:
    """Name -> tensor or list of strings, in the order the file holds them."""
    value = _loaded(file)
    if isinstance(value, torch.Tensor):
        return {"array": value}
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, torch.Tensor) for v in value):
        return {"image_embeds": value[0], "text_embeds": value[1]}
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        _flatten(value, "", out)
        return {k: v for k, v in out.items() if isinstance(v, torch.Tensor) or (isinstance(v, list) and all(isinstance(s, str) for s in v))}
    raise InputError(file, f"holds a {type(value).__name__}, not a tensor, a pair of tensors or a dict of them")
