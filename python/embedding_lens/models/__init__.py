"""
models.build(config, device): the model and data a run configuration names. Adapters
are imported only when named, so a heads run needs nothing beyond torch; each adapter module has
`build(config: dict, device: torch.device) -> BuiltModel`, config resolved (absolute paths).
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import Any

import torch

from ..errors import InputError
from ..model_api import BuiltModel

#: The model reference's key -> (adapter module, the package it needs).
ADAPTERS: dict[str, tuple[str, str]] = {
    "openClip": ("open_clip_model", "open_clip"),
    "huggingFace": ("hugging_face_model", "transformers"),
    "factory": ("factory_model", ""),
}


def kind_of(model: Any) -> str:
    if model == "heads":
        return "heads"
    for key in ADAPTERS:
        if isinstance(model, dict) and key in model:
            return key
    raise InputError("model", f"unknown model reference {model!r}")


def build(config: dict[str, Any], device: torch.device) -> BuiltModel:
    kind = kind_of(config.get("model", "heads"))
    if kind == "heads":
        from . import heads

        return heads.build(config, device)
    module, package = ADAPTERS[kind]
    if package and importlib.util.find_spec(package) is None:
        raise InputError("model", f"{kind} needs the Python package {package!r}, which this interpreter lacks (pip install {'open_clip_torch' if package == 'open_clip' else package})")
    adapter = importlib.import_module(f"{__name__}.{module}")
    return adapter.build(config, device)
