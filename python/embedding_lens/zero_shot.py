"""
Zero-shot classification as METRICS.md defines it and src/core/classification/ computes it: class
vectors w_c = normalise(mean_p normalise(t_cp)) in float64, scores in float32 blocks of images (memory
O(block x C)), the true class's rank with ties counting against it, the argmax at the lowest index on
ties, and the softmax confidence in float64. `python -m embedding_lens.zero_shot FILE` prints
{"zero_shot": ...} as `embedding-lens analyze --json` does.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, Callable, Optional

import torch

from .calibration import expected_calibration_error, reliability_bins
from .errors import CancelledError, InputError
from .tensorfile import FLOAT_TYPES, INT_TYPES, STRING_TYPES, Opened, bad_rows, open_file, shape_text

ECE_TAU = 0.01
#: The JSON lists the most confused pairs only (as confusedPairsShown in zeroShotSummary.ts).
CONFUSED_PAIRS_SHOWN = 20
IMAGE_KEYS = ["image_embeds", "image_features", "image_embeddings", "img_embeds", "image", "img"]
LABEL_KEYS = ["labels", "label", "targets"]
CLASS_KEYS = ["class_embeds", "class_embeddings", "class_features"]
NAME_KEYS = ["class_names", "classnames"]


def class_vectors(class_embeds: torch.Tensor) -> torch.Tensor:
    """(C, D) or (C, P, D) -> (C, D) float32 unit class vectors (the prompt sum, normalised, is the normalised mean)."""
    t = class_embeds.to(torch.float64)
    if t.dim() == 2:
        t = t.unsqueeze(1)
    summed = (t / t.norm(dim=2, keepdim=True)).sum(dim=1)
    return (summed / summed.norm(dim=1, keepdim=True)).to(torch.float32)


def confused_pairs(labels: torch.Tensor, argmax: torch.Tensor, classes: int, limit: int = CONFUSED_PAIRS_SHOWN) -> list[list[int]]:
    """(true, predicted, count) of wrong argmaxes, largest counts first, then by true and predicted class."""
    wrong = argmax != labels
    keys, counts = torch.unique(labels[wrong] * classes + argmax[wrong], return_counts=True)
    order = sorted(zip(counts.tolist(), keys.tolist()), key=lambda kc: (-kc[0], kc[1]))
    return [[k // classes, k % classes, c] for c, k in order[:limit]]


def zero_shot(image: torch.Tensor, labels: torch.Tensor, class_embeds: torch.Tensor, tau: float = ECE_TAU,
              block_rows: int = 4096, device: Optional[torch.device] = None,
              stop: Callable[[], bool] = lambda: False,
              detail: Optional[dict[str, torch.Tensor]] = None) -> dict[str, Any]:
    """
    The "zero_shot" JSON of METRICS.md for unit-normalisable image rows, labels in [0, C) and class
    embeddings. Blocks of images go to `device` (their scores are float32 products as on the CPU);
    `stop` is looked at between blocks. `detail` gets what the panel draws beside the JSON
    (ZeroShotDetail in types.ts): zero_shot_per_class_count and the reliability bins.
    """
    device = device or image.device
    w = class_vectors(class_embeds)
    labels = labels.to(device="cpu", dtype=torch.int64)
    n, classes = image.shape[0], w.shape[0]
    wt = w.T.contiguous().to(device)
    rank = torch.empty(n, dtype=torch.int64)
    argmax = torch.empty(n, dtype=torch.int64)
    confidence = torch.empty(n, dtype=torch.float64)
    for a in range(0, n, block_rows):
        if stop():
            raise CancelledError()
        b = min(n, a + block_rows)
        x64 = image[a:b].to(device=device, dtype=torch.float64)
        s = (x64 / x64.norm(dim=1, keepdim=True)).to(torch.float32) @ wt
        truth = s.gather(1, labels[a:b, None].to(device))
        rank[a:b] = (s > truth).sum(dim=1).cpu()
        best = s.argmax(dim=1)
        argmax[a:b] = best.cpu()
        s64 = s.to(torch.float64)
        top = s64.gather(1, best[:, None])
        confidence[a:b] = (1 / torch.exp((s64 - top) / tau).sum(dim=1)).cpu()
    count = torch.bincount(labels, minlength=classes)
    hits = torch.bincount(labels[rank < 1], minlength=classes)
    per_class = [100 * h / c if c else None for h, c in zip(hits.tolist(), count.tolist())]
    present = [a for a in per_class if a is not None]
    correct = argmax == labels
    if detail is not None:
        bins = reliability_bins(confidence, correct)
        detail["zero_shot_per_class_count"] = count.to(torch.float64)
        for name, values in zip(("count", "confidence", "accuracy"), bins):
            detail[f"zero_shot_reliability_{name}"] = values
    return {
        "n": n,
        "classes": classes,
        "top1": 100 * int((rank < 1).sum()) / n,
        "top5": 100 * int((rank < 5).sum()) / n,
        "balanced": sum(present) / len(present),
        "ece": expected_calibration_error(confidence, correct),
        "ece_tau": tau,
        "per_class": per_class,
        "confused": confused_pairs(labels, argmax, classes),
    }


def _find(arrays: list, keys: list[str]):
    for key in keys:
        for a in arrays:
            if a.name.lower() == key:
                return a
    return None


@dataclass
class Classes:
    """A classification set's labels (one per image row), class embeddings and class names, if named."""

    labels: torch.Tensor
    class_embeds: torch.Tensor
    names: Optional[list[str]]


def _class_names(opened: Opened, file: str) -> Optional[list[str]]:
    """A string array, or in safetensors a `__metadata__` entry holding a JSON list (as readClassificationSet.ts)."""
    key = next((k for k in (opened.metadata or {}) if k.lower() in NAME_KEYS), None)
    if key is not None:
        try:
            names = json.loads(opened.metadata[key])  # type: ignore[index]
        except json.JSONDecodeError:
            names = None
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise InputError(file, f"__metadata__ '{key}' is not a JSON array of strings")
        return names
    array = _find(opened.arrays, NAME_KEYS)
    return array.load_strings() if array is not None and array.load_strings else None


def _classes(file: str, opened: Opened, images: int) -> Optional[Classes]:
    """The labels and classes of an opened file (None without them), checked against its `images` rows."""
    numeric = [a for a in opened.arrays if a.dtype not in STRING_TYPES]
    labels, classes = _find(numeric, LABEL_KEYS), _find(numeric, CLASS_KEYS)
    if labels is None or classes is None:
        return None
    if labels.dtype not in INT_TYPES:
        raise InputError(file, f"'{labels.name}' {shape_text(labels.shape)} is {labels.dtype}: labels must be integers (any integer dtype)")
    if classes.dtype not in FLOAT_TYPES or len(classes.shape) not in (2, 3):
        raise InputError(file, f"'{classes.name}' {shape_text(classes.shape)} must be float (C, D) or prompt ensembles (C, P, D)")
    y, t = labels.load(), classes.load()
    c = t.shape[0]
    if t.dim() == 3 and t.shape[1] == 0:
        raise InputError(file, f"'{classes.name}' {shape_text(classes.shape)} has a prompt axis of 0: each class needs at least one prompt embedding")
    if not bool(torch.isfinite(t).all()):
        raise InputError(file, f"'{classes.name}' {shape_text(classes.shape)} holds NaN or Inf")
    if bool((t.to(torch.float64).norm(dim=-1) == 0).any()):
        raise InputError(file, f"'{classes.name}' {shape_text(classes.shape)} has an all-zero class embedding: it cannot be normalised")
    if y.shape[0] != images:
        raise InputError(file, f"'{labels.name}' {shape_text(labels.shape)} has {y.shape[0]} labels for {images} images")
    bad = ((y < 0) | (y >= c)).nonzero()
    if bad.numel():
        i = int(bad[0])
        raise InputError(file, f"label {int(y[i])} at row {i} is outside [0, {c}): the class embeddings hold {c} classes")
    names = _class_names(opened, file)
    if names is not None and len(names) != c:
        raise InputError(file, f"{len(names)} class names for {c} classes in '{classes.name}'")
    return Classes(y, t, names)


def classes_in_file(file: str, images: int) -> Optional[Classes]:
    """The classes of a file of pairs that also holds labels and class embeddings; None when it holds none."""
    return _classes(file, open_file(file), images)


def read_classification_set(file: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, Optional[list[str]]]:
    """image (N, D), labels (N,), class embeddings and names, refused in one line as the TypeScript reader refuses them."""
    opened = open_file(file)
    image = _find(opened.arrays, IMAGE_KEYS)
    found = _classes(file, opened, image.shape[0]) if image is not None else None
    if image is None or found is None:
        raise InputError(file, "is not a classification set: it needs image_embeds, labels and class_embeds")
    x, y, _dropped = usable_rows(image.load(), found.labels)
    if x.shape[0] == 0:
        raise InputError(file, f"every image row of '{image.name}' holds NaN/Inf or zeros")
    return x, y, found.class_embeds, found.names


def usable_rows(image: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The image rows that can be normalised and their labels, as the TypeScript reader keeps them, and how many were dropped."""
    bad = bad_rows(image)
    dropped = int(bad.sum())
    if dropped == 0:
        return image, labels, 0
    keep = ~bad
    return image[keep], labels[keep], dropped


def main(argv: list[str]) -> int:
    try:
        x, y, t, _names = read_classification_set(argv[0])
        print(json.dumps({"zero_shot": zero_shot(x, y, t)}))
        return 0
    except InputError as err:
        print(f"embedding-lens: {err.line()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
