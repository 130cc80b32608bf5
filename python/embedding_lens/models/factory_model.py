"""
`"model": {"factory": "path/to/file.py:function"}`: the user's own model. The function (called with
no arguments, or with `device=` when it takes one) returns an object or a dict holding what
OpenCLIP's create_model_and_transforms + get_tokenizer give:

- encode_image(images) and encode_text(tokens): feature batches (normalised here);
- preprocess: PIL image -> image tensor; tokenizer: list[str] -> token tensor (or dict of tensors);
- the torch.nn.Module whose parameters train: the object itself, its `model`, or the module that
  encode_image is a method of;
- optional `towers`: {"image": [parameter prefixes], "text": [...]} so "freeze": ["image"] works on a
  module that has no `visual` / `vision_model` submodule.

The file is the user's code: it runs only where the workspace is trusted (the extension checks).
"""
from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import sys
import traceback
from typing import Any, Callable, Mapping, Optional

import torch

from ..csv_pairs import pair_sources, read_splits
from ..errors import InputError
from ..model_api import BuiltModel
from .towers import TowerModel, Towers, apply_freeze, autocast_dtype, check_precision, config_file, one_line, precision_note, resolve_path, seeded, wrapper_names

NEEDED = ("encode_image", "encode_text", "preprocess", "tokenizer")


def split_spec(config: dict[str, Any]) -> tuple[str, str]:
    """("/abs/file.py", "function") from "file.py:function" (split at the last colon: C:\\ paths)."""
    value = (config.get("model") or {}).get("factory")
    file, _, name = value.rpartition(":") if isinstance(value, str) else ("", "", "")
    if not file or not name.isidentifier():
        raise InputError(config_file(config), f'"model": {{"factory": {value!r}}} must be "path/to/file.py:function"')
    path = resolve_path(config, file)
    if not os.path.isfile(path):
        raise InputError(path, 'does not exist ("model": {"factory": ...} names this file)')
    return path, name


def load_function(path: str, name: str) -> Callable[..., Any]:
    """Imports the file as a module of its own (its folder on sys.path, for its sibling imports)."""
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module_name = "embedding_lens_factory_" + hashlib.sha1(path.encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise InputError(path, "cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        traceback.print_exc(file=sys.stderr)  # the full traceback belongs in the log
        raise InputError(path, f"raised {type(err).__name__} on import: {one_line(err)}") from None
    fn = getattr(module, name, None)
    if not callable(fn):
        found = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == module_name)
        raise InputError(path, f"has no function {name} (its functions: {', '.join(found[:10]) or 'none'})")
    return fn


def call(fn: Callable[..., Any], path: str, device: torch.device) -> Any:
    try:
        takes_device = "device" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_device = False
    try:
        return fn(device=device) if takes_device else fn()
    except Exception as err:
        traceback.print_exc(file=sys.stderr)
        raise InputError(path, f"{getattr(fn, '__name__', 'the factory')}() raised {type(err).__name__}: {one_line(err)}") from None


def member(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)


def module_of(obj: Any, encode_image: Any) -> Optional[torch.nn.Module]:
    for candidate in (obj, member(obj, "model"), getattr(encode_image, "__self__", None)):
        if isinstance(candidate, torch.nn.Module):
            return candidate
    return None


def towers_of(obj: Any, net: torch.nn.Module, path: str) -> Optional[Towers]:
    declared = member(obj, "towers")
    if declared is not None:
        image, text = (declared.get("image"), declared.get("text")) if isinstance(declared, Mapping) else (None, None)
        if not isinstance(image, (list, tuple)) or not all(isinstance(p, str) for p in image):
            raise InputError(path, 'the factory\'s "towers" must be {"image": [parameter prefixes], "text": [...]}')
        return Towers(image=list(image), text=list(text) if isinstance(text, (list, tuple)) else None)
    children = dict(net.named_children())
    if "visual" in children:  # OpenCLIP's layout
        return Towers(image=["visual"])
    if "vision_model" in children:  # Hugging Face's
        return Towers(image=["vision_model", "visual_projection"], text=["text_model", "text_projection"])
    return None


def build(config: dict[str, Any], device: torch.device) -> BuiltModel:
    precision = check_precision(config)
    path, name = split_spec(config)
    tables = read_splits(config)
    fn = load_function(path, name)
    with seeded(config):
        obj = call(fn, path, device)
    got = {key: member(obj, key) for key in NEEDED}
    missing = [key for key, value in got.items() if not callable(value)]
    if missing:
        raise InputError(path, f"{name}() returned {type(obj).__name__} without {', '.join(missing)} (it needs {', '.join(NEEDED)}: callables, as OpenCLIP's create_model_and_transforms + get_tokenizer give)")
    training = config.get("train") is not None
    net = module_of(obj, got["encode_image"])
    if net is None:
        if training:
            raise InputError(path, f"{name}() returned no torch.nn.Module to train: return the module itself, or add it as \"model\"")
        net = torch.nn.Module()  # embedding only: nothing to train, nothing to freeze
    net.to(device)
    towers = towers_of(obj, net, path)
    frozen, locked, notes = apply_freeze(net, config, towers, training)
    model = TowerModel(
        net,
        encode_image=got["encode_image"],
        encode_text=got["encode_text"],
        device=device,
        dtype=autocast_dtype(device, precision),
        towers=towers,
        locked=locked,
    )
    train, eval_ = pair_sources(config, tables, got["preprocess"], got["tokenizer"])
    note = precision_note(device, precision)
    return BuiltModel(
        model=model,
        train=train,
        eval=eval_,
        kind="factory",
        frozen=wrapper_names(frozen),
        notes=[f"factory model from {path}:{name}", *notes, *([note] if note else [])],
        state_dict=model.trainable_state,
    )
