"""
What a checkpoint holds besides the eval embeddings: for heads the weights and AdamW moments under
the TypeScript names (so a TS run resumes on torch and back), for full models the trainable weights
(model-epoch-K.safetensors) and the resume state (resume-epoch-K.pt).
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Optional

import torch

from .errors import InputError
from .model_api import BuiltModel
from .runfolder import CheckpointState, load_torch, model_name, resume_name, save_torch
from .tensorfile import read_safetensors, write_safetensors

HEAD_NAMES = ("image_head", "text_head")


def heads_tensors(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    params = dict(model.named_parameters())
    out: dict[str, torch.Tensor] = {}
    for name in HEAD_NAMES:
        out[name] = params[name].detach()
    for moment, key in (("m", "exp_avg"), ("v", "exp_avg_sq")):
        for name in HEAD_NAMES:
            state = optimizer.state.get(params[name], {})
            out[f"adamw.{moment}.{name}"] = state.get(key, torch.zeros_like(params[name])).detach()
    return out


def restore_heads(model: torch.nn.Module, optimizer: torch.optim.Optimizer, state: CheckpointState, file: str) -> None:
    params = dict(model.named_parameters())
    for name in (*HEAD_NAMES, *(f"adamw.{m}.{n}" for m in "mv" for n in HEAD_NAMES)):
        saved = state.tensors.get(name)
        if saved is None or saved.dim() != 2:
            raise InputError(file, f"has no 2-D float array '{name}'; not an Embedding Lens training checkpoint")
    for name in HEAD_NAMES:
        if tuple(state.tensors[name].shape) != tuple(params[name].shape):
            raise InputError(file, "its heads do not fit this config's dimensions")
        with torch.no_grad():
            params[name].copy_(state.tensors[name])
    names = {id(p): n for n, p in params.items()}

    def moment(p: torch.Tensor, key: str) -> torch.Tensor:
        return state.tensors[f"adamw.{'m' if key == 'exp_avg' else 'v'}.{names[id(p)]}"].to(p.device)

    _restore_moments(optimizer, state.step, moment)


def _restore_moments(optimizer: torch.optim.Optimizer, step: int, moment: Callable[[torch.Tensor, str], torch.Tensor]) -> None:
    """AdamW's state per trainable parameter, through load_state_dict (its layout differs across torch versions)."""
    sd = optimizer.state_dict()
    params = [p for g in optimizer.param_groups for p in g["params"]]
    sd["state"] = {i: {"step": torch.tensor(float(step)), "exp_avg": moment(p, "exp_avg").clone(), "exp_avg_sq": moment(p, "exp_avg_sq").clone()}
                   for i, p in enumerate(params)}
    optimizer.load_state_dict(sd)


def model_weights(built: BuiltModel) -> dict[str, torch.Tensor]:
    """The trainable weights, named as built.model's state_dict names them (what load_state_dict takes back)."""
    if built.state_dict is not None:
        return built.state_dict()
    return {n: p.detach() for n, p in built.model.named_parameters() if p.requires_grad}


def pack_state(optimizer: torch.optim.Optimizer, step: int, scaler: Optional[torch.cuda.amp.GradScaler]) -> dict[str, Any]:
    """
    The resume state as tensors and one JSON string: torch 1.13's weights_only loader refuses
    pickled floats (the optimizer's lr, betas...), so everything that is not a tensor goes into JSON.
    """
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {"rng": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda_rng.{i}"] = state
    plain: dict[str, dict[str, Any]] = {}
    for index, entry in sd["state"].items():
        for key, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{index}.{key}"] = value
            else:
                plain.setdefault(str(index), {})[key] = value
    meta = {"step": step, "param_groups": sd["param_groups"], "state": plain, "scaler": scaler.state_dict() if scaler is not None else None}
    return {"tensors": tensors, "json": json.dumps(meta)}


def unpack_state(saved: dict[str, Any]) -> dict[str, Any]:
    """pack_state's contents as an optimizer state_dict, RNG states and scaler state."""
    meta = json.loads(saved["json"])
    tensors: dict[str, torch.Tensor] = saved["tensors"]
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if name.startswith("optimizer."):
            _, index, key = name.split(".", 2)
            state.setdefault(int(index), {})[key] = value
    for index, entry in meta["state"].items():
        state.setdefault(int(index), {}).update(entry)
    cuda = [tensors[f"cuda_rng.{i}"] for i in range(len([n for n in tensors if n.startswith("cuda_rng.")]))]
    return {"optimizer": {"state": state, "param_groups": meta["param_groups"]}, "rng": tensors["rng"], "cuda_rng": cuda,
            "scaler": meta["scaler"], "step": meta["step"]}


def write_full_model(run_dir: str, epoch: int, built: BuiltModel, optimizer: torch.optim.Optimizer, step: int,
                     scaler: Optional[torch.cuda.amp.GradScaler], metadata: dict[str, str]) -> None:
    write_safetensors(os.path.join(run_dir, model_name(epoch)), model_weights(built), {**metadata, "epoch": str(epoch), "step": str(step)})
    save_torch(os.path.join(run_dir, resume_name(epoch)), pack_state(optimizer, step, scaler))


def read_full_model(run_dir: str, epoch: int) -> dict[str, Any]:
    """Rank 0's resume state of a full model: its weights and resume-epoch-K.pt's contents."""
    weights_file, state_file = os.path.join(run_dir, model_name(epoch)), os.path.join(run_dir, resume_name(epoch))
    for f in (weights_file, state_file):
        if not os.path.exists(f):
            raise InputError(f, f"is missing: {os.path.basename(f)} goes with the epoch {epoch} checkpoint that the run resumes from")
    weights, _ = read_safetensors(weights_file)
    try:
        state = unpack_state(load_torch(state_file))
    except (KeyError, ValueError, TypeError) as err:
        raise InputError(state_file, f"is not an Embedding Lens resume state ({type(err).__name__}: {err})") from None
    return {"weights": weights, "file": weights_file, **state}


def restore_full_model(built: BuiltModel, optimizer: torch.optim.Optimizer, saved: dict[str, Any],
                       scaler: Optional[torch.cuda.amp.GradScaler]) -> None:
    own = built.model.state_dict()
    for name, tensor in saved["weights"].items():
        if name not in own or tuple(own[name].shape) != tuple(tensor.shape):
            raise InputError(saved["file"], f"holds '{name}', which does not fit this config's model")
    built.model.load_state_dict({k: v.to(own[k].dtype) for k, v in saved["weights"].items()}, strict=False)
    try:
        optimizer.load_state_dict(saved["optimizer"])
    except (ValueError, KeyError) as err:
        raise InputError(saved["file"], f"its optimizer state does not fit this config's trainable parameters ({err})") from None
    torch.set_rng_state(saved["rng"])
    if saved["cuda_rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(saved["cuda_rng"])
    if scaler is not None and saved["scaler"] is not None:
        scaler.load_state_dict(saved["scaler"])
