"""
`"model": {"huggingFace": "<local folder of a CLIPModel>"}`: the folder save_pretrained wrote (or a
snapshot in the hub cache), with its tokenizer and image processor. Loaded with local_files_only, so
a missing file is an error, never a download.
"""
from __future__ import annotations

import os
from typing import Any

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


def folder_of(config: dict[str, Any]) -> str:
    value = (config.get("model") or {}).get("huggingFace")
    if not isinstance(value, str) or not value:
        raise InputError(config_file(config), '"model": {"huggingFace": ...} names a local folder holding a CLIPModel (config.json and its weights)')
    folder = resolve_path(config, value)
    if not os.path.isdir(folder):
        what = "is a file, not a folder" if os.path.exists(folder) else "does not exist"
        raise InputError(folder, f'{what} ("model": {{"huggingFace": ...}} names a local folder saved by CLIPModel.save_pretrained; the engine does not download)')
    if not os.path.isfile(os.path.join(folder, "config.json")):
        raise InputError(folder, "has no config.json: not a folder written by save_pretrained")
    return folder


class Tokenize:
    """
    Pads every caption to the same length, as CLIP does: a caption's features then do not depend on
    which other captions share its batch, so 1 rank and 8 ranks compute the same numbers. A class,
    not a closure, so a DataLoader worker started by spawn (macOS, Windows) can unpickle it.
    """

    def __init__(self, tokenizer: Any, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length

    def __call__(self, texts: list[str]) -> dict[str, torch.Tensor]:
        out = self.tokenizer(texts, padding="max_length", truncation=True, max_length=self.max_length, return_tensors="pt")
        return {"input_ids": out["input_ids"], "attention_mask": out["attention_mask"]}


class Preprocess:
    """PIL image -> the processor's pixel_values for one image (picklable, like Tokenize)."""

    def __init__(self, processor: Any) -> None:
        self.processor = processor

    def __call__(self, image: Any) -> torch.Tensor:
        return self.processor(images=image, return_tensors="pt")["pixel_values"][0]


def projected(features: Any) -> Any:
    """
    The projected features: transformers 4 returns them as a tensor, transformers 5 as the
    pooler_output of a BaseModelOutputWithPooling.
    """
    return features if isinstance(features, torch.Tensor) else getattr(features, "pooler_output", features)


def build(config: dict[str, Any], device: torch.device) -> BuiltModel:
    go_offline()
    # The fast tokenizer's threads do not survive the DataLoader workers' fork; it says so on every
    # fork unless told which it is. Tokenizing is a small part of a step.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import_for(config, "transformers", "transformers")
    precision = check_precision(config)
    folder = folder_of(config)
    tables = read_splits(config)
    try:
        from transformers import AutoTokenizer, CLIPImageProcessor, CLIPModel

        with seeded(config):
            net = CLIPModel.from_pretrained(folder, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        processor = CLIPImageProcessor.from_pretrained(folder, local_files_only=True)
    except InputError:
        raise
    except Exception as err:  # no weights, no tokenizer files, a config of another model type...
        raise InputError(folder, f"could not load a CLIPModel with its tokenizer and image processor: {one_line(err)}") from None
    net.to(device)
    max_length = min(int(getattr(tokenizer, "model_max_length", 77) or 77), int(net.config.text_config.max_position_embeddings))

    towers = Towers(image=["vision_model", "visual_projection"], text=["text_model", "text_projection"])
    training = config.get("train") is not None
    frozen, locked, notes = apply_freeze(net, config, towers, training)
    model = TowerModel(
        net,
        encode_image=lambda images: projected(net.get_image_features(pixel_values=images)),
        encode_text=lambda texts: projected(net.get_text_features(**texts)),
        device=device,
        dtype=autocast_dtype(device, precision),
        towers=towers,
        locked=locked,
    )
    preprocess, tokenize = Preprocess(processor), Tokenize(tokenizer, max_length)
    train, eval_ = pair_sources(config, tables, preprocess, tokenize)
    note = precision_note(device, precision)
    return BuiltModel(
        model=model,
        train=train,
        eval=eval_,
        kind="huggingFace",
        frozen=wrapper_names(frozen),
        notes=[f"Hugging Face CLIPModel from {folder}", *notes, *([note] if note else [])],
        state_dict=model.trainable_state,
    )
