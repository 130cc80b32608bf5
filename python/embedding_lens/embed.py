"""
`python -m embedding_lens embed --model JSON --data FILE.csv --out FILE.safetensors`: the image and
caption embeddings of a CSV/TSV dataset through the same model adapters as training. Under torchrun
each rank embeds a contiguous shard of the images and of the captions; rank 0 gathers them and writes
one safetensors file (atomically) in the layout the analysis panel reads:

- image_embeds (unique images, F32), text_embeds (captions in row order, F32);
- text_to_image (I32) when some image has several captions (else text k is image k's caption);
- __metadata__: captions (JSON list), model (the --model JSON), data (the dataset's path).

Events on rank 0: progress {done, total} in items (images + captions over all ranks), notes, and
embedded {file, images, texts} at the end. Cancel (EMBEDDING_LENS_CANCEL_FILE, SIGINT, SIGTERM)
stops every rank at the next batch and writes nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import traceback
from typing import Any, Callable, Optional, Sequence, Union

import torch

from . import distributed
from .cancel import CancelRequest
from .errors import CancelledError, InputError
from .events import EventWriter, write_event
from .model_api import DualEncoder, PairSource

def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m embedding_lens embed", description="Image and caption embeddings of a CSV/TSV dataset.")
    p.add_argument("--model", required=True, help='the run configuration\'s "model" value as JSON, e.g. {"openClip": "ViT-B-32", "pretrained": "model.pt"}')
    p.add_argument("--data", required=True, help="CSV or TSV (.tsv) with an image-path column and a caption column")
    p.add_argument("--out", required=True, help="the .safetensors file to write")
    p.add_argument("--image-column", default="filepath")
    p.add_argument("--caption-column", default="title")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--precision", choices=["fp32", "bf16", "amp"], default="fp32")
    p.add_argument("--devices", default="auto", help='"auto", a count, or a comma list of CUDA devices')
    p.add_argument("--workers", type=int, default=2, help="image-decoding threads per rank")
    return p.parse_args(argv)


def parse_devices(text: str) -> Union[str, int, list[int]]:
    text = text.strip()
    if text == "auto":
        return "auto"
    try:
        return int(text) if "," not in text else [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise InputError("--devices", f'{text!r} is not "auto", a count or a comma list of device numbers') from None


def parse_model(text: str) -> Any:
    try:
        model = json.loads(text)
    except ValueError as err:
        raise InputError("--model", f"not valid JSON ({err})") from None
    if model == "heads":
        raise InputError("--model", '"heads" trains on features that are already embedded; embed with {"openClip": ...}, {"huggingFace": ...} or {"factory": ...}')
    if not isinstance(model, dict) or not any(k in model for k in ("openClip", "huggingFace", "factory")):
        raise InputError("--model", 'must be a JSON object naming {"openClip": ...}, {"huggingFace": ...} or {"factory": "file.py:function"}')
    return model


def embed_config(args: argparse.Namespace, model: Any) -> dict[str, Any]:
    """The resolved run config an adapter expects, for embedding only (no train split, nothing frozen)."""
    if args.batch_size < 1:
        raise InputError("--batch-size", f"must be at least 1 (got {args.batch_size})")
    data = os.path.abspath(args.data)
    if not os.path.isfile(data):
        raise InputError(data, "does not exist (--data names this dataset)")
    out = os.path.abspath(args.out)
    if not os.path.isdir(os.path.dirname(out)):
        raise InputError(out, "cannot be written: its folder does not exist")
    return {
        "model": model,
        "train": None,
        "eval": [data],
        "imageColumn": args.image_column,
        "captionColumn": args.caption_column,
        "freeze": [],
        "precision": args.precision,
        "workers": max(0, args.workers),
        "batchSize": args.batch_size,
        "seed": 0,
        # Relative paths in --model (a factory file, weights, a folder) are the shell's: the cwd.
        "configDir": os.getcwd(),
    }


class Steps:
    """
    Every rank runs the same number of batches (ranks with a shorter shard run empty ones) so the
    one all-reduce per batch (progress + cancel) lines up across ranks.
    """

    def __init__(self, ranks: distributed.Ranks, stop: CancelRequest, total: int, events: EventWriter) -> None:
        self.ranks = ranks
        self.stop = stop
        self.total = total
        self.done = 0
        self.events = events

    def step(self, local_items: int) -> None:
        flags = torch.tensor([float(local_items), 1.0 if self.stop.requested() else 0.0], dtype=torch.float64)
        if self.ranks.distributed:
            # gloo reduces CPU tensors; nccl wants them on the rank's GPU.
            on = flags.to(self.ranks.device) if self.ranks.device.type == "cuda" else flags
            torch.distributed.all_reduce(on)
            flags = on.cpu()
        self.done += int(flags[0].item())
        if flags[1].item() > 0:
            raise CancelledError()
        self.events.emit({"type": "progress", "done": self.done, "total": self.total})


def embed_shard(
    count: int,
    steps: Steps,
    batch_size: int,
    load: Callable[[Sequence[int]], Any],
    encode: Callable[[Any], torch.Tensor],
    prefetch: Optional[Callable[[Sequence[int]], None]] = None,
) -> Optional[torch.Tensor]:
    """This rank's rows of one modality (images or texts), shard(count) in order; None when empty."""
    ranks = steps.ranks
    mine = distributed.shard(count, ranks.rank, ranks.world)
    most = -(-count // ranks.world)
    batches = [list(mine[i : i + batch_size]) for i in range(0, most, batch_size)]
    parts: list[torch.Tensor] = []
    for b, indices in enumerate(batches):
        if prefetch is not None and b + 1 < len(batches) and batches[b + 1]:
            prefetch(batches[b + 1])  # decode the next batch while this one runs
        if indices:
            with torch.no_grad():
                parts.append(encode(load(indices)).float())
        steps.step(len(indices))
    return torch.cat(parts) if parts else None


def gather(local: Optional[torch.Tensor], count: int, ranks: distributed.Ranks) -> torch.Tensor:
    """All ranks' shards in rank order (on every rank; rank 0 writes them). Width agreed first: a rank may hold none."""
    width = torch.tensor([local.shape[1] if local is not None else 0], device=ranks.device if ranks.device.type == "cuda" else "cpu")
    if ranks.distributed:
        torch.distributed.all_reduce(width, op=torch.distributed.ReduceOp.MAX)
    dim = int(width.item())
    rows = local if local is not None else torch.zeros((0, dim))
    comm = ranks.device if ranks.device.type == "cuda" else torch.device("cpu")
    return distributed.gather_rows(rows.to(comm, torch.float32), count, ranks).cpu()


def share_weights(model: torch.nn.Module, ranks: distributed.Ranks) -> None:
    """
    Rank 0's weights and buffers on every rank, as DDP does when training starts: a factory that
    initialises randomly by its own seed must not give each shard another model.
    """
    if not ranks.distributed:
        return
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if ranks.device.type == "cuda" or tensor.device.type == "cpu":
                torch.distributed.broadcast(tensor, src=0)
            else:  # gloo moves CPU tensors only
                staged = tensor.cpu()
                torch.distributed.broadcast(staged, src=0)
                tensor.copy_(staged)


def run(args: argparse.Namespace, ranks: distributed.Ranks, stop: CancelRequest) -> dict[str, Any]:
    from . import models, tensorfile

    events = EventWriter(ranks.rank)
    model_spec = parse_model(args.model)
    config = embed_config(args, model_spec)
    built = models.build(config, ranks.device)
    source: PairSource = built.eval
    model: DualEncoder = built.model
    model.eval()
    share_weights(model, ranks)
    for note in [*built.notes, *(f"{config['eval'][0]}: {w}" for w in source.warnings)]:
        events.note(note)
    steps = Steps(ranks, stop, source.n_images + source.n_texts, events)
    device = ranks.device
    try:
        images = embed_shard(
            source.n_images, steps, args.batch_size,
            lambda idx: source.images(idx, device), model.encode_image,
            getattr(source, "prefetch", None),
        )
        texts = embed_shard(source.n_texts, steps, args.batch_size, lambda idx: source.texts(idx, device), model.encode_text)
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
    image_embeds = gather(images, source.n_images, ranks)
    text_embeds = gather(texts, source.n_texts, ranks)
    out = os.path.abspath(args.out)
    if ranks.rank == 0:
        tensors = {"image_embeds": image_embeds.contiguous(), "text_embeds": text_embeds.contiguous()}
        if source.n_texts != source.n_images:  # some image has several captions
            text_image = [0] * source.n_texts
            for i, texts_of in enumerate(source.captions_of):
                for k in texts_of:
                    text_image[k] = i
            tensors["text_to_image"] = torch.tensor(text_image, dtype=torch.int32)
        metadata = {
            "captions": json.dumps(source.captions or [], ensure_ascii=False),
            "model": json.dumps(model_spec, ensure_ascii=False),
            "data": config["eval"][0],
        }
        tensorfile.write_safetensors(out, tensors, metadata)
        events.emit({"type": "embedded", "file": out, "images": source.n_images, "texts": source.n_texts})
    distributed.barrier(ranks)
    return {"file": out, "images": source.n_images, "texts": source.n_texts}


def error_event(rank: int, message: str, err: Optional[InputError] = None) -> None:
    event: dict[str, Any] = {"type": "error", "rank": rank, "message": message}
    if err is not None:
        event["input"] = {"file": err.file, "problem": err.problem}
    write_event(event)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Exit codes as the README's: 0 done, 130 cancelled, 2 the user's input, 1 anything else."""
    args = parse_args(argv)
    rank = distributed.env_ranks()[0] if os.environ.get("RANK", "0").isdigit() else 0
    # CancelRequest takes SIGINT/SIGTERM; a caller's own handlers come back when embedding ends.
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    stop = CancelRequest()
    try:
        ranks = distributed.init(parse_devices(args.devices))
        rank = ranks.rank
        run(args, ranks, stop)
        return 0
    except CancelledError:
        if rank == 0:
            write_event({"type": "note", "message": "embedding cancelled; no file written"})
        return 130
    except InputError as err:
        error_event(rank, err.line(), err)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # the traceback is for the log; the event line is for the user
        traceback.print_exc(file=sys.stderr)
        error_event(rank, f"{type(err).__name__}: {' '.join(str(err).split())}"[:500])
        return 1
    finally:
        distributed.destroy()
        if threading.current_thread() is threading.main_thread():
            for sig, handler in previous.items():
                signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
