"""
What every full-model adapter (OpenCLIP, Hugging Face, factory) shares: the DualEncoder wrapper
around the user's module, freezing towers or parameter prefixes, precision, path resolution, lazy
imports that fail in one line, and offline mode. Imports only torch and the standard library.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

import torch

from ..errors import InputError
from ..model_api import DualEncoder

PRECISIONS = ("fp32", "bf16", "amp")

#: Parameters that scale the logits in the model's own CLIP loss. The engine's losses take their
#: temperature from the run configuration, so these would get no gradient (and DDP would stop on
#: a parameter that took no part in the step): they are never trained.
LOGIT_PARAMETERS = ("logit_scale", "logit_bias")


def config_file(config: Mapping[str, Any]) -> str:
    """The file a config problem is reported against: the run configuration when it is known."""
    for key in ("configFile", "configPath", "file", "path"):
        value = config.get(key)
        if isinstance(value, str) and value:
            return value
    return "config"


def config_dir(config: Mapping[str, Any]) -> str:
    """Where a relative path in the model entry is taken from: the config's folder, else the cwd."""
    for key in ("configDir", "dir"):
        value = config.get(key)
        if isinstance(value, str) and value:
            return value
    file = config_file(config)
    return os.path.dirname(file) if os.path.isabs(file) else os.getcwd()


def resolve_path(config: Mapping[str, Any], value: str) -> str:
    """Config paths normally arrive absolute; a relative one (the embed CLI) is taken from config_dir."""
    value = os.path.expanduser(value)
    return value if os.path.isabs(value) else os.path.normpath(os.path.join(config_dir(config), value))


def model_text(model: Any) -> str:
    """`{"openClip": ...}`: how a model entry is named in one-line messages (the key, not its value)."""
    if isinstance(model, Mapping) and model:
        key = next(iter(model))
        return '{' + json.dumps(key) + ': ...}'
    return json.dumps(model)


def import_for(config: Mapping[str, Any], module: str, pip_name: str) -> Any:
    """
    `import module`, or one line naming the model entry that needs it, how to install it and into
    which interpreter (the user's PATH python and the one the extension runs often differ).
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        # A package that is installed but fails to import (an old torch under it) says so; a missing
        # one says what to install. Either way the message stays on one line.
        missing = isinstance(err, ModuleNotFoundError) and (err.name or "").split(".")[0] == module.split(".")[0]
        why = f"needs {module.split('.')[0]} (pip install {pip_name})" if missing else f"could not import {module} ({' '.join(str(err).split())})"
        raise InputError(config_file(config), f'"model": {model_text(config.get("model"))} {why} in {sys.executable}') from None


def go_offline() -> None:
    """
    Nothing the engine runs may download. The Hugging Face libraries read these variables when they
    are imported, so set them first, and set the flags too where the libraries are already imported
    (a test process, a factory that imported them).
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    hub_constants = sys.modules.get("huggingface_hub.constants")
    if hub_constants is not None:
        setattr(hub_constants, "HF_HUB_OFFLINE", True)
    transformers_hub = sys.modules.get("transformers.utils.hub")
    if transformers_hub is not None and hasattr(transformers_hub, "_is_offline_mode"):
        setattr(transformers_hub, "_is_offline_mode", True)


@contextlib.contextmanager
def seeded(config: Mapping[str, Any]) -> Iterator[None]:
    """
    Random initialisation (a model without pretrained weights, heads a checkpoint lacks, a factory's
    own init) drawn from the run's seed, so it is the same on every rank and in every run; the
    global RNG state is put back afterwards for the trainer's own draws.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(config.get("seed") or 0))
        yield


def one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 400 else text[:397] + "..."


def check_precision(config: Mapping[str, Any]) -> str:
    precision = config.get("precision", "fp32") or "fp32"
    if precision not in PRECISIONS:
        raise InputError(config_file(config), f'"precision" is {json.dumps(precision)}; use one of {", ".join(PRECISIONS)}')
    return str(precision)


def autocast_dtype(device: torch.device, precision: str) -> Optional[torch.dtype]:
    """
    The dtype the towers compute in under autocast, or None for plain fp32. Weights stay fp32 (the
    optimizer updates fp32 masters, as OpenCLIP's amp modes do); "amp" is fp16 (the trainer scales
    the loss), "bf16" is bf16. CUDA only: torch 1.13's CPU autocast leaves layer_norm uncast, so
    OpenCLIP and Hugging Face towers fail under it, and MPS has no autocast there.
    """
    if precision == "fp32" or device.type != "cuda":
        return None
    return torch.float16 if precision == "amp" else torch.bfloat16


def precision_note(device: torch.device, precision: str) -> Optional[str]:
    if precision != "fp32" and autocast_dtype(device, precision) is None:
        return f'"precision": "{precision}" applies on CUDA devices; on {device.type} the model runs in fp32'
    return None


@contextlib.contextmanager
def autocast(device: torch.device, dtype: Optional[torch.dtype]) -> Iterator[None]:
    """
    The towers' autocast, whatever the caller's: with dtype None it is switched off, so a trainer
    that wraps the forward in CPU bf16 autocast (fine for its heads) does not break these towers.
    """
    if dtype is None:
        if device.type in ("cpu", "cuda"):
            with torch.autocast(device_type=device.type, enabled=False):
                yield
        else:
            yield
        return
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield


def normalise(features: Any, what: str) -> torch.Tensor:
    """float32 and unit length: what the losses, the metrics and the embeddings file expect."""
    if not isinstance(features, torch.Tensor) or features.dim() != 2:
        shape = tuple(features.shape) if isinstance(features, torch.Tensor) else type(features).__name__
        raise TypeError(f"{what} returned {shape}, not a (batch, dim) tensor")
    return torch.nn.functional.normalize(features.float(), dim=-1)


def to_device(batch: Any, device: torch.device) -> Any:
    """A batch tensor, or a tokenizer's dict of tensors (Hugging Face), on `device`."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, Mapping):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def under(name: str, prefix: str) -> bool:
    """Whether parameter `name` is `prefix` or lies under it ("visual" covers "visual.proj", not "visualx")."""
    prefix = prefix.rstrip(".")
    return name == prefix or name.startswith(prefix + ".")


class Towers:
    """
    Which parameter names form each tower: `image` prefixes are listed; the text tower is
    everything else but the logit scale (CLIP's text tower is not one submodule in OpenCLIP).
    """

    def __init__(self, image: Sequence[str], text: Optional[Sequence[str]] = None) -> None:
        self.image = list(image)
        self.text = list(text) if text is not None else None

    def of(self, name: str) -> Optional[str]:
        if any(under(name, p) for p in LOGIT_PARAMETERS):
            return None
        if any(under(name, p) for p in self.image):
            return "image"
        if self.text is None:
            return "text" if self.image else None
        return "text" if any(under(name, p) for p in self.text) else None


def apply_freeze(net: torch.nn.Module, config: Mapping[str, Any], towers: Optional[Towers], training: bool) -> tuple[list[str], list[str], list[str]]:
    """
    Sets requires_grad from config "freeze" ("image", "text", or parameter-name prefixes). Returns
    (frozen parameter names, the towers frozen whole, notes). An entry that freezes nothing is a typo
    that would silently train what the user meant to lock, so it is refused.
    """
    file = config_file(config)
    freeze = config.get("freeze") or []
    if isinstance(freeze, str):
        freeze = [freeze]
    if not isinstance(freeze, list) or not all(isinstance(f, str) and f for f in freeze):
        raise InputError(file, '"freeze" must be a list of "image", "text" or parameter-name prefixes')
    names = [n for n, _ in net.named_parameters()]
    frozen: set[str] = set()
    whole: list[str] = []
    for entry in freeze:
        if entry in ("image", "text"):
            if towers is None:
                raise InputError(file, f'"freeze": ["{entry}"]: this model does not say which parameters form its {entry} tower; freeze parameter-name prefixes instead (e.g. {", ".join(names[:3])})')
            hit = {n for n in names if towers.of(n) == entry}
            whole.append(entry)
        else:
            hit = {n for n in names if under(n, entry)}
        if not hit:
            sample = ", ".join(sorted({n.split(".")[0] for n in names})[:12])
            raise InputError(file, f'"freeze" entry "{entry}" names no parameter of the model (its top-level names: {sample})')
        frozen |= hit
    notes: list[str] = []
    logit = [n for n in names if any(under(n, p) for p in LOGIT_PARAMETERS)]
    for name, param in net.named_parameters():
        param.requires_grad_(name not in frozen and name not in logit)
    if logit and training:
        notes.append(f"{', '.join(logit)} is not trained: the loss temperature comes from the run configuration")
    if training and not any(p.requires_grad for p in net.parameters()):
        raise InputError(file, '"freeze" leaves no parameter to train')
    if frozen:
        what = " and ".join(f"the {t} tower" for t in whole) or f"{len(frozen)} parameters"
        notes.append(f"frozen: {what} ({sum(p.numel() for n, p in net.named_parameters() if n in frozen):,} weights in {len(frozen)} tensors)")
    return sorted(frozen), whole, notes


class TowerModel(DualEncoder):
    """
    The DualEncoder over a user's model `net`: forward runs both towers in one call (for DDP) under
    the configured autocast and returns float32 unit vectors. Towers frozen whole stay in eval mode
    during training (LiT's locked tower: no dropout, no batch-norm statistics updates).
    """

    def __init__(
        self,
        net: torch.nn.Module,
        encode_image: Callable[[Any], Any],
        encode_text: Callable[[Any], Any],
        device: torch.device,
        dtype: Optional[torch.dtype],
        towers: Optional[Towers] = None,
        locked: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self.net = net
        self._encode_image = encode_image
        self._encode_text = encode_text
        self._device = device
        self._dtype = dtype
        self._towers = towers
        self._locked = list(locked)

    def encode_image(self, images: Any) -> torch.Tensor:
        with autocast(self._device, self._dtype):
            out = self._encode_image(images)
        return normalise(out, "encode_image")

    def encode_text(self, texts: Any) -> torch.Tensor:
        with autocast(self._device, self._dtype):
            out = self._encode_text(texts)
        return normalise(out, "encode_text")

    def train(self, mode: bool = True) -> "TowerModel":
        super().train(mode)
        if mode and self._locked and self._towers is not None:
            for name, module in self.net.named_modules():
                if name and self._towers.of(name) in self._locked:
                    module.eval()
        return self

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """
        The trained weights, named as this module's state_dict names them ("net." + the user's
        model's own names), so the trainer's resume can load_state_dict them back (strict=False).
        """
        return {n: p.detach().to("cpu", copy=True).contiguous() for n, p in self.named_parameters() if p.requires_grad}


def wrapper_names(names: Sequence[str]) -> list[str]:
    """The user's model's parameter names as TowerModel.named_parameters() gives them."""
    return [f"net.{n}" for n in names]
