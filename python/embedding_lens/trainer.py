"""
An m²-Mix fine-tuning run on torch, the loop of src/core/train/trainer.ts for any model: per-epoch
seeded pair order and lambdas (identical on every rank), the global batch split contiguously over
the ranks, AdamW with the cosine schedule, evaluation before training and after every epoch,
resume from the last checkpoint, and a run that stops cleanly on cancel or a non-finite loss.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from typing import Any, Optional

import torch

from . import models
from .cancel import CancelRequest
from .checkpoints import read_full_model, restore_full_model, restore_heads
from .config import active_weights
from .distributed import Ranks, broadcast_object, shard
from .errors import InputError
from .evaluation import Evaluator
from .events import EventWriter
from .model_api import BuiltModel
from .rng import MIX_TERMS, PairSampler, draw_lambdas, epoch_rng
from .runfolder import append_log, checkpoint_name, last_checkpoint_epoch, make_run_folder, read_checkpoint_state, refuse_taken, trim_log
from .schedule import cosine_with_warmup, warmup_steps
from .step import ADAM_BETAS, ADAM_EPS, Stepper, check_precision, is_out_of_memory


@dataclass
class Plan:
    batch: int
    steps_per_epoch: int
    total_steps: int
    warmup: int


def plan_steps(config: dict[str, Any], sampler: PairSampler, world: int) -> Plan:
    files = " + ".join(config["train"])
    if sampler.size < 2:
        raise InputError(files, f"needs at least 2 pairs to train, has {sampler.size}")
    batch = config["batchSize"]
    # Not clamped: the batch is the contrastive loss's set of negatives, so a smaller one is another objective.
    if batch > sampler.size:
        multi = any(len(c) != 1 for c in sampler.captions)
        pairs = f"{sampler.size} pairs an epoch draws (one caption per image)" if multi else f"{sampler.size} training pairs"
        raise InputError(files, f"batchSize {batch} is larger than the {pairs}")
    if batch % world:
        raise InputError("batchSize", f"{batch} does not split evenly over {world} ranks; use a multiple of {world}")
    steps = sampler.size // batch
    total = steps * config["epochs"]
    return Plan(batch, steps, total, warmup_steps(total, config["warmup"]))


def canonical(value: Any) -> Optional[str]:
    return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def resume_notes(epoch: int, saved_config: Optional[str], config: dict[str, Any]) -> list[str]:
    """Settings a resumed run changed since its checkpoint was written (trainingRunSetup.ts's resumeNotes)."""
    file = checkpoint_name(epoch)
    try:
        before = json.loads(saved_config or "")
    except ValueError:
        return [f"{file} does not record its settings: resumed with the ones given now"]
    changed = [f"{k} {canonical(before.get(k)) or 'unset'} → {canonical(v)}" for k, v in config.items()
               if k != "resume" and canonical(before.get(k)) != canonical(v)]
    notes = [f"resumed with settings changed since {file}: {', '.join(changed)}"] if changed else []
    if config["epochs"] <= epoch:
        notes.append(f"{file} already ends epoch {epoch} of the {config['epochs']} asked for: nothing to train")
    return notes


def to_device(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=True)
    if isinstance(value, dict):
        return {k: to_device(v, device) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_device(v, device) for v in value)
    return value


class StepBatches(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """This rank's shard of each step's batch, read (by data-loader workers when configured) on the CPU."""

    def __init__(self, built: BuiltModel, images: list[int], texts: list[int], plan: Plan, ranks: Ranks) -> None:
        self.source = built.train
        self.images, self.texts = images, texts
        self.plan = plan
        self.mine = shard(plan.batch, ranks.rank, ranks.world)

    def __len__(self) -> int:
        return self.plan.steps_per_epoch

    def __getitem__(self, s: int) -> tuple[Any, Any]:
        lo, hi = s * self.plan.batch + self.mine.start, s * self.plan.batch + self.mine.stop
        cpu = torch.device("cpu")
        return self.source.images(self.images[lo:hi], cpu), self.source.texts(self.texts[lo:hi], cpu)


class Run:
    """One run's state across epochs; train() drives it."""

    def __init__(self, config: dict[str, Any], ranks: Ranks, events: EventWriter, cancel: CancelRequest) -> None:
        self.config = config
        self.ranks = ranks
        self.events = events
        self.cancel = cancel
        self.run_dir = os.path.join(config["out"], config["name"])
        self.steps_done = 0
        self.epoch = 0
        #: The epoch of the checkpoint the run resumed from, if it did.
        self.resumed_epoch: Optional[int] = None

    def setup(self) -> list[str]:
        """Model, data, optimizer, run folder and resumed state; returns the notes for the start event."""
        config, ranks = self.config, self.ranks
        refuse_taken(self.run_dir, config["resume"])
        check_precision(config["precision"], ranks.device)
        self.built = models.build(config, ranks.device)
        if self.built.train is None:
            raise InputError(" + ".join(config["train"]), "the model gave no training data")
        self.sampler = PairSampler(self.built.train.captions_of)
        self.plan = plan_steps(config, self.sampler, ranks.world)
        trainable = [p for p in self.built.model.parameters() if p.requires_grad]
        if not trainable:
            raise InputError("freeze", "leaves nothing to train")
        self.optimizer = torch.optim.AdamW(trainable, lr=config["lr"], betas=ADAM_BETAS, eps=ADAM_EPS, weight_decay=config["weightDecay"])
        model: torch.nn.Module = self.built.model
        if ranks.distributed:
            ids = [ranks.device.index] if ranks.device.type == "cuda" else None
            model = torch.nn.parallel.DistributedDataParallel(self.built.model, device_ids=ids)
        self.stepper = Stepper(model, self.optimizer, ranks, config["precision"], config["tau"], config["tauM"], self.cancel)
        self.evaluator = Evaluator(config, self.built, ranks, self.events, self.run_dir, self.optimizer, self.stepper.scaler)
        if ranks.rank == 0:
            make_run_folder(self.run_dir)
        notes = [f"{' + '.join(config[split])}: {w}" for split, src in (("train", self.built.train), ("eval", self.built.eval)) for w in src.warnings]
        notes += self.built.notes
        if self.built.frozen:
            notes.append(f"frozen: {len(self.built.frozen)} parameter tensors ({', '.join(self.built.frozen[:5])}{', …' if len(self.built.frozen) > 5 else ''})")
        return list(dict.fromkeys(notes + self._resume()))

    def _resume(self) -> list[str]:
        """Restores the last checkpoint when resuming (rank 0 reads it, every rank takes it); its notes."""
        resumed = None
        if self.config["resume"] and self.ranks.rank == 0:
            epoch = last_checkpoint_epoch(self.run_dir)
            if epoch is not None:
                state = read_checkpoint_state(os.path.join(self.run_dir, checkpoint_name(epoch)))
                full = read_full_model(self.run_dir, epoch) if self.built.kind != "heads" else None
                resumed = (state, full)
        resumed = broadcast_object(resumed, self.ranks)
        if resumed is None:
            return []
        state, full = resumed
        file = os.path.join(self.run_dir, checkpoint_name(state.epoch))
        if full is None:
            restore_heads(self.built.model, self.optimizer, state, file)
        else:
            restore_full_model(self.built, self.optimizer, full, self.stepper.scaler)
        self.epoch, self.steps_done = state.epoch, state.step
        self.resumed_epoch = state.epoch
        return resume_notes(state.epoch, state.config, self.config)

    def summary(self, status: str, message: Optional[str] = None, steps: Optional[int] = None, checkpointed: bool = True) -> dict[str, Any]:
        best = self.evaluator.best
        out: dict[str, Any] = {"runDir": self.run_dir, "status": status}
        if message is not None:
            out["message"] = message
        out.update({
            "epochs": self.epoch,
            "steps": self.steps_done if steps is None else steps,
            "bestEpoch": best[0] if best else self.epoch,
            "bestMetric": self.config["bestMetric"],
            "bestValue": best[1] if best else math.nan,
        })
        if checkpointed:
            out["lastCheckpoint"] = os.path.join(self.run_dir, checkpoint_name(self.epoch))
        return out

    def begin(self) -> None:
        """The log as the run starts: trimmed to the resumed epoch, or emptied and epoch 0 measured."""
        if self.resumed_epoch is not None:
            kept = trim_log(self.run_dir, self.resumed_epoch) if self.ranks.rank == 0 else []
            self.evaluator.recall_best(kept)
        else:
            if self.ranks.rank == 0:
                trim_log(self.run_dir, -1)
            self.evaluator.evaluate(0, self.steps_done)

    def epoch_pass(self) -> Optional[dict[str, Any]]:
        """The steps of epoch self.epoch + 1; a summary when the run ends inside it."""
        config, plan = self.config, self.plan
        images, texts = self.sampler.epoch(epoch_rng(config["seed"], self.epoch, 0))
        lambda_rng = epoch_rng(config["seed"], self.epoch, 1)
        # The reference scripts' optional 1/(epoch+1), epoch counted from 0.
        scale = 1 / (self.epoch + 1) if config["scaleMixupByEpoch"] else 1
        base = active_weights(config)
        weights = {t: base[t] * scale for t in MIX_TERMS}
        workers = config.get("workers", 0) if self.built.kind != "heads" else 0
        loader = torch.utils.data.DataLoader(StepBatches(self.built, images, texts, plan, self.ranks), batch_size=None, num_workers=workers)
        for batch_images, batch_texts in loader:
            started = time.perf_counter()
            lr = cosine_with_warmup(config["lr"], self.steps_done, plan.total_steps, plan.warmup)
            lambdas = draw_lambdas(lambda_rng, config["beta"], weights)
            self.evaluator.last_lambda = lambdas
            step = self.steps_done + 1
            try:
                outcome = self.stepper.run(to_device(batch_images, self.ranks.device), to_device(batch_texts, self.ranks.device), lr, weights, lambdas, step)
            except RuntimeError as err:
                if is_out_of_memory(err):
                    per_rank = plan.batch // self.ranks.world
                    raise InputError(f"step {step}", f"out of GPU memory at batch {plan.batch} ({per_rank} per rank on {self.ranks.world}); use a smaller batchSize or \"precision\": \"bf16\"") from None
                raise
            if outcome.cancelled:
                return self.summary("cancelled", f"cancelled at step {step}; the last checkpoint is {checkpoint_name(self.epoch)}")
            event = {"type": "step", "step": step, "epoch": self.epoch + 1, "lr": lr, "loss": outcome.loss,
                     "components": outcome.components, "lambda": lambdas, "ranks": self.ranks.world,
                     "samples_per_s": plan.batch / max(time.perf_counter() - started, 1e-9)}
            if self.ranks.rank == 0:
                append_log(self.run_dir, [event])
            self.events.emit(event)
            if not math.isfinite(outcome.loss):
                loss = "NaN" if math.isnan(outcome.loss) else "Infinity" if outcome.loss > 0 else "-Infinity"
                return self.summary("diverged", f"step {step}: the loss is {loss}; stopped, the last good checkpoint is {checkpoint_name(self.epoch)}", step - 1)
            self.steps_done = step
        return None


def train(config: dict[str, Any], ranks: Ranks, events: EventWriter, cancel: CancelRequest) -> dict[str, Any]:
    run = Run(config, ranks, events, cancel)
    notes = run.setup()
    run.begin()
    events.emit({"type": "start", "runDir": run.run_dir, "totalSteps": run.plan.total_steps, "stepsPerEpoch": run.plan.steps_per_epoch,
                 "firstStep": run.steps_done, "notes": notes})
    while run.epoch < config["epochs"]:
        ended = run.epoch_pass()
        if ended is not None:
            return ended
        run.evaluator.evaluate(run.epoch + 1, run.steps_done)
        run.epoch += 1
    return run.summary("completed")
