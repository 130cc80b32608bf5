"""
`"model": {"openClip": "ViT-B-32", "pretrained": "<tag or local .pt/.safetensors>"}`.

The architecture is one of open_clip's configs (or a model-config JSON file of the user's, which is
registered first); weights come from a local file or a pretrained tag that is already in the user's
cache. A tag that would download is refused: the engine never touches the network.
"""
from __future__ import annotations

import os
from typing import Any, Optional

import torch

from ..csv_pairs import pair_sources, read_splits
from ..errors import InputError
from ..model_api import BuiltModel
from .towers import (
    TowerModel,
    Towers,
    apply_freeze,
    autocast_dtype,
    check_precision,
    config_file,
    go_offline,
    import_for,
    one_line,
    precision_note,
    resolve_path,
    seeded,
    wrapper_names,
)

WEIGHT_SUFFIXES = (".pt", ".pth", ".bin", ".safetensors", ".ckpt")


def looks_like_path(value: str) -> bool:
    return os.path.isabs(value) or os.sep in value or "/" in value or value.lower().endswith(WEIGHT_SUFFIXES)


def cached_checkpoint(open_clip: Any, name: str, tag: str) -> Optional[str]:
    """
    The local file open_clip would load for a pretrained tag, when it is in the user's cache; None
    when loading it would download. Follows open_clip.pretrained.download_pretrained's choices.
    """
    pretrained = open_clip.pretrained
    cfg = pretrained.get_pretrained_cfg(name, tag)
    if cfg.get("file"):
        return str(cfg["file"]) if os.path.isfile(cfg["file"]) else None
    hub = cfg.get("hf_hub", "")
    if hub and pretrained.has_hf_hub():
        from huggingface_hub import try_to_load_from_cache

        repo, filename = os.path.split(hub)
        filename = filename or pretrained.HF_WEIGHTS_NAME
        for candidate in [*pretrained._get_safe_alternatives(filename), filename]:
            found = try_to_load_from_cache(repo_id=repo, filename=candidate)
            if isinstance(found, str) and os.path.isfile(found):
                return found
    url = cfg.get("url", "")
    if url:
        target = os.path.join(os.path.expanduser("~/.cache/clip"), os.path.basename(url))
        return target if os.path.isfile(target) else None
    return None


def architecture(open_clip: Any, config: dict[str, Any], value: Any) -> str:
    """The architecture name; a path to a model-config JSON file is registered under its stem."""
    file = config_file(config)
    if not isinstance(value, str) or not value:
        raise InputError(file, '"model": {"openClip": ...} names an OpenCLIP architecture (e.g. "ViT-B-32") or a model-config .json file')
    if value.lower().endswith(".json"):
        path = resolve_path(config, value)
        if not os.path.isfile(path):
            raise InputError(path, 'does not exist ("model": {"openClip": ...} names this model-config file)')
        open_clip.add_model_config(path)
        return os.path.splitext(os.path.basename(path))[0]
    if value.startswith("hf-hub:"):
        return value
    name = value.replace("/", "-")
    if open_clip.get_model_config(name) is None:
        known = open_clip.list_models()
        close = [m for m in known if m.lower().startswith(name.lower().split("-")[0])][:8] or known[:8]
        raise InputError(file, f'"model": {{"openClip": "{value}"}} is not an OpenCLIP architecture (e.g. {", ".join(close)}); or give a model-config .json file')
    return name


def weights(open_clip: Any, config: dict[str, Any], name: str, tag: Any) -> tuple[Optional[str], dict[str, Any], list[str]]:
    """
    (the local weights file for create_model's `pretrained`, the tag's preprocess settings, notes).
    A tag is resolved to its cached file here, so open_clip is never handed anything it could fetch
    (its URL downloads ignore the Hugging Face offline switch); the tag's image mean/std travel with it.
    """
    file = config_file(config)
    if tag in (None, ""):
        if name.startswith("hf-hub:"):
            return None, {}, [f"OpenCLIP {name}: weights from the Hugging Face cache"]
        return None, {}, [f"OpenCLIP {name}: randomly initialised (no \"pretrained\" given)"]
    if not isinstance(tag, str):
        raise InputError(file, '"pretrained" is a tag (e.g. "openai") or a local .pt/.safetensors file')
    if open_clip.pretrained.is_pretrained_cfg(name, tag):
        cached = cached_checkpoint(open_clip, name, tag)
        if cached is None:
            raise InputError(file, f'"pretrained": "{tag}" for {name} is not in this machine\'s cache and the engine does not download; download it once (open_clip.create_model("{name}", pretrained="{tag}")) or give a local .pt/.safetensors file')
        cfg = open_clip.pretrained.get_pretrained_cfg(name, tag)
        keep = {f"image_{k}": cfg[k] for k in ("mean", "std", "interpolation", "resize_mode") if k in cfg}
        notes = [f"OpenCLIP {name}: pretrained \"{tag}\" from the local cache ({cached})"]
        # open_clip warns (and only warns) when the weights' activation differs from the config's.
        model_gelu = bool((open_clip.get_model_config(name) or {}).get("quick_gelu", False))
        if bool(cfg.get("quick_gelu", False)) != model_gelu:
            want = f"{name}-quickgelu" if cfg.get("quick_gelu") else name.replace("-quickgelu", "")
            notes.append(f"warning: \"{tag}\" was trained with{'' if cfg.get('quick_gelu') else 'out'} QuickGELU but {name} {'lacks' if cfg.get('quick_gelu') else 'uses'} it; \"openClip\": \"{want}\" matches the weights")
        return cached, keep, notes
    path = resolve_path(config, tag)
    if os.path.isfile(path):
        return path, {}, [f"OpenCLIP {name}: weights from {path}"]
    if looks_like_path(tag):
        raise InputError(path, 'does not exist ("pretrained" names this weights file)')
    tags = open_clip.list_pretrained_tags_by_model(name)
    raise InputError(file, f'"pretrained": "{tag}" is neither a local file nor a pretrained tag of {name} (its tags: {", ".join(tags) or "none"})')


def build(config: dict[str, Any], device: torch.device) -> BuiltModel:
    go_offline()
    open_clip = import_for(config, "open_clip", "open_clip_torch")
    spec = config.get("model") or {}
    precision = check_precision(config)
    name = architecture(open_clip, config, spec.get("openClip"))
    pretrained, preprocess_cfg, notes = weights(open_clip, config, name, spec.get("pretrained"))
    tables = read_splits(config)
    try:
        # Weights stay fp32 whatever the precision: autocast (TowerModel) gives bf16/fp16 compute
        # while the optimizer keeps fp32 masters, like OpenCLIP's own "amp" modes.
        with seeded(config):
            net, _, preprocess = open_clip.create_model_and_transforms(name, pretrained=pretrained, device=device, **preprocess_cfg)
        tokenizer = open_clip.get_tokenizer(name)
    except InputError:
        raise
    except Exception as err:  # a damaged file, a checkpoint of another architecture, an uncached hf-hub model
        raise InputError(pretrained or config_file(config), f"OpenCLIP could not load {name}: {one_line(err)}") from None
    # Both splits use the deterministic eval transform (resize + centre crop): a run then sees the
    # same pixels on 1 rank or 8, which the equal-losses check across rank counts relies on.
    training = config.get("train") is not None
    if training:
        notes.append("training images use OpenCLIP's eval transform (resize, centre crop), without its random crop")

    towers = Towers(image=["visual"])
    frozen, locked, freeze_notes = apply_freeze(net, config, towers, training)
    dtype = autocast_dtype(device, precision)
    model = TowerModel(
        net,
        encode_image=lambda images: net.encode_image(images),
        encode_text=lambda texts: net.encode_text(texts),
        device=device,
        dtype=dtype,
        towers=towers,
        locked=locked,
    )
    note = precision_note(device, precision)
    train, eval_ = pair_sources(config, tables, preprocess, tokenizer)
    return BuiltModel(
        model=model,
        train=train,
        eval=eval_,
        kind="openClip",
        frozen=wrapper_names(frozen),
        notes=notes + freeze_notes + ([note] if note else []),
        state_dict=model.trainable_state,
    )
