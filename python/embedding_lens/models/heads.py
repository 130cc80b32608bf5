"""
Heads on frozen features, the model of the tfjs trainer (src/core/train/heads.ts): one linear map
W (D_in x D_out) per modality, y = normalize(normalize(x) W), initialised as the identity when the
dimensions match, else as the same seeded Gaussian projection (the ported generator), in float32.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F

from ..errors import InputError
from ..model_api import BuiltModel, DualEncoder
from ..rng import IMAGE_HEAD_SEED_XOR, TEXT_HEAD_SEED_XOR, initial_weights
from ..class_training import read_training_pairs
from ..tensorfile import Embeddings, read_embeddings


def unit_rows(m: torch.Tensor, file: str, what: str) -> torch.Tensor:
    """Rows scaled by 1/norm in double precision, then float32, as features.ts's UnitRows."""
    m64 = m.to(torch.float64)
    norms = m64.norm(dim=1)
    bad = (~torch.isfinite(norms) | (norms <= 0)).nonzero()
    if len(bad):
        r = int(bad[0, 0])
        raise InputError(file, f"{what} row {r} has norm {float(norms[r])}")
    return (m64 * (1 / norms)[:, None]).to(torch.float32)


class Heads(DualEncoder):
    def __init__(self, d_image: int, d_text: int, d_out: int, seed: int) -> None:
        super().__init__()

        def weights(d_in: int, s: int) -> torch.nn.Parameter:
            return torch.nn.Parameter(torch.tensor(initial_weights(d_in, d_out, s), dtype=torch.float32).reshape(d_in, d_out))

        self.image_head = weights(d_image, seed ^ IMAGE_HEAD_SEED_XOR)
        self.text_head = weights(d_text, seed ^ TEXT_HEAD_SEED_XOR)

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        return F.normalize(images @ self.image_head, dim=1)

    def encode_text(self, texts: torch.Tensor) -> torch.Tensor:
        return F.normalize(texts @ self.text_head, dim=1)


class EmbeddingPairs:
    """A split of an embeddings file as a PairSource: its unit rows, kept on the CPU."""

    def __init__(self, e: Embeddings) -> None:
        label = " + ".join(e.files)
        self.files = label
        self.x = unit_rows(e.image, label, "image")
        self.y = unit_rows(e.text, label, "text")
        self.n_images, self.n_texts = self.x.shape[0], self.y.shape[0]
        self.captions_of: list[list[int]] = [[i] for i in range(self.n_images)] if e.text_to_image is None else [[] for _ in range(self.n_images)]
        if e.text_to_image is not None:
            for k, i in enumerate(e.text_to_image.tolist()):
                self.captions_of[i].append(k)
        self.captions = e.captions
        self.warnings = e.warnings

    def images(self, indices: Sequence[int], device: torch.device) -> torch.Tensor:
        return self.x[torch.as_tensor(list(indices), dtype=torch.int64)].to(device)

    def texts(self, indices: Sequence[int], device: torch.device) -> torch.Tensor:
        return self.y[torch.as_tensor(list(indices), dtype=torch.int64)].to(device)


def freeze(model: Heads, entries: list[str]) -> list[str]:
    """"image"/"text" freeze a head, any other entry the parameters whose name starts with it."""
    names = [n for n, _ in model.named_parameters()]
    frozen: list[str] = []
    for entry in entries:
        prefix = {"image": "image_head", "text": "text_head"}.get(entry, entry)
        hits = [n for n in names if n.startswith(prefix)]
        if not hits:
            raise InputError("freeze", f"{entry!r} names no parameter of the heads (they are {', '.join(names)})")
        frozen += [n for n in hits if n not in frozen]
    for n, p in model.named_parameters():
        p.requires_grad_(n not in frozen)
    return frozen


def build(config: dict[str, Any], device: torch.device) -> BuiltModel:
    # A classification-only file trains on its class pairs (FLYP), as the tfjs trainer does.
    train_set = read_training_pairs(config["train"])
    eval_set = read_embeddings(config["eval"])
    di, dt = train_set.image.shape[1], train_set.text.shape[1]
    if eval_set.image.shape[1] != di or eval_set.text.shape[1] != dt:
        raise InputError(" + ".join(config["eval"]), f"dimensions image {eval_set.image.shape[1]}, text {eval_set.text.shape[1]} differ from the training set's {di}, {dt}")
    joint = config.get("jointDim") or min(di, dt)
    model = Heads(di, dt, joint, config["seed"]).to(device)
    frozen = freeze(model, config.get("freeze", []))
    return BuiltModel(model=model, train=EmbeddingPairs(train_set), eval=EmbeddingPairs(eval_set), kind="heads", frozen=frozen)
