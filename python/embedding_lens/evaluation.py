"""
The eval split measured as the model stands: encoded in shards over the ranks, gathered, measured
on rank 0 (metrics.py), logged, and written as epoch-K.safetensors (and best.safetensors, and for
full models the model's weights and resume state).
"""
from __future__ import annotations

import json
import os
from typing import Any, Optional, Sequence

import torch

from .bestmetric import is_better, metric_value
from .checkpoints import heads_tensors, write_full_model
from .class_training import EpochSuite, load_epoch_suites, measure_epoch_suites
from .distributed import Ranks, barrier, gather_rows, shard
from .errors import InputError
from .events import EventWriter
from .metrics import analyze
from .model_api import BuiltModel, PairSource
from .runfolder import BEST_NAME, EvalEmbeddings, append_log, checkpoint_name, write_checkpoint
from .step import autocast_for

#: Rows a forward pass of the eval encoding takes.
ENCODE_ROWS = 256


def text_to_image_of(captions_of: Sequence[Sequence[int]], n_texts: int) -> Optional[torch.Tensor]:
    """The index of a multi-caption split; None when image i's one text is text i."""
    if n_texts == len(captions_of) and all(list(c) == [i] for i, c in enumerate(captions_of)):
        return None
    owner = torch.empty(n_texts, dtype=torch.int64)
    for i, texts in enumerate(captions_of):
        owner[list(texts)] = i
    return owner


class Evaluator:
    def __init__(self, config: dict[str, Any], built: BuiltModel, ranks: Ranks, events: EventWriter, run_dir: str,
                 optimizer: torch.optim.Optimizer, scaler: Optional[torch.cuda.amp.GradScaler]) -> None:
        self.config = config
        self.built = built
        self.ranks = ranks
        self.events = events
        self.run_dir = run_dir
        self.optimizer = optimizer
        self.scaler = scaler
        self.config_json = json.dumps(config, separators=(",", ":"), ensure_ascii=False)
        self.best: Optional[tuple[int, float]] = None
        self.last_lambda: Optional[dict[str, float]] = None
        self.text_to_image = text_to_image_of(built.eval.captions_of, built.eval.n_texts)
        # Every rank reads the suites, so a bad one fails each rank at the start alike; rank 0 measures them.
        self.suites: list[EpochSuite] = []
        if config.get("evalSuites"):
            if built.kind != "heads":
                raise InputError("evalSuites", f"suites are embedding files measured through heads; \"model\" {built.kind} cannot take them")
            self.suites = load_epoch_suites(config["evalSuites"], built.model.image_head.shape[0], built.model.text_head.shape[0])

    def _encode(self, n: int, read: Any, encode: Any) -> torch.Tensor:
        mine = shard(n, self.ranks.rank, self.ranks.world)
        parts = []
        with torch.no_grad(), autocast_for(self.config["precision"], self.ranks.device):
            for a in range(mine.start, mine.stop, ENCODE_ROWS):
                indices = list(range(a, min(mine.stop, a + ENCODE_ROWS)))
                parts.append(encode(read(indices, self.ranks.device)).float())
        local = torch.cat(parts) if parts else self._empty_like_shard(read, encode)
        return gather_rows(local, n, self.ranks)

    def _empty_like_shard(self, read: Any, encode: Any) -> torch.Tensor:
        """A rank with no rows still joins the gather with the right width (one row's, then none)."""
        with torch.no_grad(), autocast_for(self.config["precision"], self.ranks.device):
            return encode(read([0], self.ranks.device)).float()[:0]

    def embeddings(self) -> EvalEmbeddings:
        source: PairSource = self.built.eval
        self.built.model.eval()
        try:
            image = self._encode(source.n_images, source.images, self.built.model.encode_image)
            text = self._encode(source.n_texts, source.texts, self.built.model.encode_text)
        finally:
            self.built.model.train()
        return EvalEmbeddings(image, text, self.text_to_image, source.captions)

    def evaluate(self, at: int, step: int) -> None:
        """Every rank encodes; rank 0 measures, logs and writes. Ends with the ranks in step."""
        evals = self.embeddings()
        if self.ranks.rank == 0:
            self._record(at, step, evals)
        barrier(self.ranks)

    def _record(self, at: int, step: int, evals: EvalEmbeddings) -> None:
        result = analyze(evals.image, evals.text, evals.text_to_image, file=" + ".join(self.config["eval"]), device=self.ranks.device)
        suites = measure_epoch_suites(self.suites, self.built.model, self.ranks.device) if self.suites else None
        event: dict[str, Any] = {"type": "eval", "epoch": at, "metrics": result}
        if suites is not None:
            event["suites"] = suites
        append_log(self.run_dir, [event])
        self.events.emit(event)
        metadata = {"config": self.config_json, "metrics": json.dumps(result, separators=(",", ":"))}
        if self.last_lambda is not None:
            metadata["lambda"] = json.dumps(self.last_lambda, separators=(",", ":"))
        extra = heads_tensors(self.built.model, self.optimizer) if self.built.kind == "heads" else {}
        file = os.path.join(self.run_dir, checkpoint_name(at))
        write_checkpoint(file, at, step, evals, metadata, extra)
        if self.built.kind != "heads":
            write_full_model(self.run_dir, at, self.built, self.optimizer, step, self.scaler, metadata)
        value = metric_value(result, self.config["bestMetric"], suites)
        best = is_better(self.config["bestMetric"], value, self.best[1] if self.best else None)
        if best:
            self.best = (at, value)
            write_checkpoint(os.path.join(self.run_dir, BEST_NAME), at, step, evals, metadata, extra)
        self.events.emit({"type": "checkpoint", "epoch": at, "file": file, "best": best})

    def recall_best(self, logged: list[dict[str, Any]]) -> None:
        """A resumed run's best so far, from the eval lines its log kept."""
        for e in logged:
            if e.get("type") != "eval":
                continue
            value = metric_value(e["metrics"], self.config["bestMetric"], e.get("suites"))
            if is_better(self.config["bestMetric"], value, self.best[1] if self.best else None):
                self.best = (e["epoch"], value)
