"""
What the trainer, the embedder and the evaluation need from a model and its data, whatever the model
is (heads on frozen features, OpenCLIP, Hugging Face CLIPModel, a user's factory). The trainer never
imports an adapter; an adapter never imports the trainer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Protocol, Sequence

import torch


class DualEncoder(torch.nn.Module):
    """
    forward(images, texts) -> (x, y): L2-normalised float32 features, row i of x paired with row i
    of y. One forward call for both towers, so DistributedDataParallel (which hooks forward) sees
    every trainable parameter of the step. encode_image / encode_text serve evaluation and
    embedding (no grad, no DDP).
    """

    def encode_image(self, images: Any) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def encode_text(self, texts: Any) -> torch.Tensor:  # pragma: no cover - interface
        raise NotImplementedError

    def forward(self, images: Any, texts: Any) -> tuple[torch.Tensor, torch.Tensor]:
        return self.encode_image(images), self.encode_text(texts)


class PairSource(Protocol):
    """
    A split's images and texts. captions_of[i] lists the text indices of image i (one per image for
    plain pairs; several for COCO-style sets): the trainer's pair sampler draws one caption per
    image and epoch from it, exactly as the TypeScript trainer's PairSampler does.
    """

    n_images: int
    n_texts: int
    captions_of: list[list[int]]
    #: Caption strings by text index, when the source has them (written into eval checkpoints).
    captions: Optional[list[str]]
    #: Lines for the run's notes (skipped rows, missing images...).
    warnings: list[str]

    def images(self, indices: Sequence[int], device: torch.device) -> Any:
        """The model's image input for these image indices (a batch tensor on `device`)."""
        ...

    def texts(self, indices: Sequence[int], device: torch.device) -> Any:
        """The model's text input for these text indices."""
        ...


@dataclass
class BuiltModel:
    """What models.build() returns for a run configuration."""

    model: DualEncoder
    train: Optional[PairSource]
    eval: PairSource
    #: The model kind for logs and checkpoints: "heads", "openClip", "huggingFace", "factory".
    kind: str
    #: Parameter names (of model.named_parameters()) that the config froze; reported in the notes.
    frozen: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The trainable weights for the per-epoch model file (model-epoch-K.safetensors, which the trainer
    #: writes on rank 0, atomically). Keys must be names of model.state_dict(): a resumed run loads
    #: them back with model.load_state_dict(..., strict=False). None: the parameters that require grad.
    state_dict: Optional[Callable[[], dict[str, torch.Tensor]]] = None
