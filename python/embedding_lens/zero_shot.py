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
from typing import Any, Optional

import torch

from .calibration import expected_calibration_error
from .errors import InputError
from .tensorfile import FLOAT_TYPES, INT_TYPES, open_file, shape_text

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
              block_rows: int = 4096) -> dict[str, Any]:
    """The "zero_shot" JSON of METRICS.md for unit-normalisable image rows, labels in [0, C) and class embeddings."""
    x64 = image.to(torch.float64)
    x = (x64 / x64.norm(dim=1, keepdim=True)).to(torch.float32)
    w = class_vectors(class_embeds)
    labels = labels.to(torch.int64)
    n, classes = x.shape[0], w.shape[0]
    wt = w.T.contiguous()
    rank = torch.empty(n, dtype=torch.int64)
    argmax = torch.empty(n, dtype=torch.int64)
    confidence = torch.empty(n, dtype=torch.float64)
    for a in range(0, n, block_rows):
        b = min(n, a + block_rows)
        s = x[a:b] @ wt
        truth = s.gather(1, labels[a:b, None])
        rank[a:b] = (s > truth).sum(dim=1)
        best = s.argmax(dim=1)
        argmax[a:b] = best
        s64 = s.to(torch.float64)
        top = s64.gather(1, best[:, None])
        confidence[a:b] = 1 / torch.exp((s64 - top) / tau).sum(dim=1)
    count = torch.bincount(labels, minlength=classes)
    hits = torch.bincount(labels[rank < 1], minlength=classes)
    per_class = [100 * h / c if c else None for h, c in zip(hits.tolist(), count.tolist())]
    present = [a for a in per_class if a is not None]
    return {
        "n": n,
        "classes": classes,
        "top1": 100 * int((rank < 1).sum()) / n,
        "top5": 100 * int((rank < 5).sum()) / n,
        "balanced": sum(present) / len(present),
        "ece": expected_calibration_error(confidence, argmax == labels),
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


def read_classification_set(file: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, Optional[list[str]]]:
    """image (N, D), labels (N,), class embeddings and names, refused in one line as the TypeScript reader refuses them."""
    opened = open_file(file)
    image, labels, classes = (_find(opened.arrays, keys) for keys in (IMAGE_KEYS, LABEL_KEYS, CLASS_KEYS))
    if image is None or labels is None or classes is None:
        raise InputError(file, "is not a classification set: it needs image_embeds, labels and class_embeds")
    if labels.dtype not in INT_TYPES:
        raise InputError(file, f"'{labels.name}' {shape_text(labels.shape)} is {labels.dtype}: labels must be integers (any integer dtype)")
    if classes.dtype not in FLOAT_TYPES or len(classes.shape) not in (2, 3):
        raise InputError(file, f"'{classes.name}' {shape_text(classes.shape)} must be float (C, D) or prompt ensembles (C, P, D)")
    x, y, t = image.load(), labels.load(), classes.load()
    c = t.shape[0]
    if t.dim() == 3 and t.shape[1] == 0:
        raise InputError(file, f"'{classes.name}' {shape_text(classes.shape)} has a prompt axis of 0: each class needs at least one prompt embedding")
    if not bool(torch.isfinite(t).all()):
        raise InputError(file, f"'{classes.name}' {shape_text(classes.shape)} holds NaN or Inf")
    if bool((t.to(torch.float64).norm(dim=-1) == 0).any()):
        raise InputError(file, f"'{classes.name}' {shape_text(classes.shape)} has an all-zero class embedding: it cannot be normalised")
    if y.shape[0] != x.shape[0]:
        raise InputError(file, f"'{labels.name}' {shape_text(labels.shape)} has {y.shape[0]} labels for {x.shape[0]} images")
    bad = ((y < 0) | (y >= c)).nonzero()
    if bad.numel():
        i = int(bad[0])
        raise InputError(file, f"label {int(y[i])} at row {i} is outside [0, {c}): the class embeddings hold {c} classes")
    # Rows that cannot be normalised go with their labels, as the TypeScript reader drops them (with a warning there).
    norms = x.to(torch.float64).norm(dim=1)
    usable = torch.isfinite(norms) & (norms > 0)
    x, y = x[usable], y[usable]
    if x.shape[0] == 0:
        raise InputError(file, f"every image row of '{image.name}' holds NaN/Inf or zeros")
    names_array = _find(opened.arrays, NAME_KEYS)
    names = names_array.load_strings() if names_array is not None and names_array.load_strings else None
    if names is not None and len(names) != c:
        raise InputError(file, f"{len(names)} class names for {c} classes in '{classes.name}'")
    return x, y, t, names


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
