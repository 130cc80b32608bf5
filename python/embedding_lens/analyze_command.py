"""
`python -m embedding_lens analyze FILE [FILE2] [--json] [options]`: the METRICS.md pass of metrics.py on
a file the TypeScript readers would read (tensorfile.py), on every local GPU or on torchrun's ranks.
Rank 0 writes progress events and one `analysis` event (or, with --json, the result alone); a
problem with the input is one error line and exit 2; the cancel file or SIGINT/SIGTERM stops every
rank (exit 130, or 0 under torchrun, whose own crash report would bury the note).
"""
from __future__ import annotations

import argparse
import json
import sys
import traceback
from typing import Optional, Sequence

import torch

from . import distributed, views, zero_shot
from .cancel import CancelRequest
from .errors import CancelledError, InputError
from .events import EventWriter, to_json, write_event
from .gram_pass import ECE_TAU, UNIFORMITY_T, Temperatures
from .metrics import KS, PeerOutOfMemory, analyze
from .tensorfile import Embeddings, read_embeddings, write_safetensors
from .train_command import EXIT_CANCELLED, EXIT_FAILED, EXIT_INPUT, EXIT_OK, under_torchrun


class ArgumentError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArgumentError(message)


def _ks(text: str) -> tuple[int, ...]:
    try:
        ks = tuple(int(k) for k in text.split(","))
    except ValueError:
        ks = ()
    if not ks or any(k < 1 for k in ks):
        raise argparse.ArgumentTypeError(f"--ks takes positive integers like 1,5,10, got {text}")
    return ks


def _positive(name: str, low: float, high: float):  # noqa: ANN202 - an argparse type
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            v = float("nan")
        if not low <= v <= high:
            raise argparse.ArgumentTypeError(f"--{name} must be a number in [{low}, {high}], got {text}")
        return v

    return parse


def _temperatures(text: str) -> tuple[float, ...]:
    try:
        taus = tuple(float(t) for t in text.split(","))
    except ValueError:
        taus = ()
    if not taus or not all(0 < t <= 1e3 for t in taus):
        raise argparse.ArgumentTypeError(f"--temperatures takes positive numbers like 0.01,0.1, got {text}")
    return taus


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = _Parser(prog="python -m embedding_lens analyze", description="The analysis pass of METRICS.md on the torch engine.")
    p.add_argument("files", nargs="+", help="one file holding both modalities, or an image file and a text file")
    p.add_argument("--json", action="store_true", help="print the result as JSON on stdout instead of event lines")
    p.add_argument("--ks", type=_ks, default=KS, help="recall cut-offs beside 1, 5 and 10, which are always reported")
    p.add_argument("--ece-tau", type=_positive("ece-tau", 1e-6, 1e3), default=ECE_TAU)
    p.add_argument("--uniformity-t", type=_positive("uniformity-t", 1e-6, 1e3), default=UNIFORMITY_T)
    p.add_argument("--image-key", action="append", default=[], help="the image array's name (before the usual names)")
    p.add_argument("--text-key", action="append", default=[], help="the text array's name (before the usual names)")
    p.add_argument("--detail", default=None, help="also write the per-query arrays (positive, hardest_negative_i2t, hardest_negative_t2i, ranks_i2t, ranks_t2i) "
                        "and the i2t reliability bins (reliability_count, reliability_confidence, reliability_accuracy) to this .safetensors file")
    p.add_argument("--view-pairs", type=int, default=0, metavar="N",
                   help="also write to --detail the raw rows of the pairs the analysis views draw: all of them up to N, else a seeded "
                        "sample of N (view_pairs: the texts' rows; view_image, view_text), and the input's safetensors metadata")
    p.add_argument("--temperatures", type=_temperatures, default=(), metavar="T1,T2,...",
                   help="also write to --detail the image queries' ECE at each softmax temperature (temperature_ece, temperature_queries)")
    p.add_argument("--tf32", action="store_true",
                   help="TF32 products on CUDA: several times faster on recent GPUs, but scores move by about 1e-3, "
                        "so metrics agree with the float32 pass to about 1e-3 only and near-tied ranks can change")
    args = p.parse_args(argv)
    if len(args.files) > 2:
        raise ArgumentError("analyze takes one checkpoint file, or an image file and a text file")
    if (args.view_pairs or args.temperatures) and not args.detail:
        raise ArgumentError("--view-pairs and --temperatures write to the --detail file: give one")
    if args.view_pairs < 0:
        raise ArgumentError(f"--view-pairs takes a count of pairs, got {args.view_pairs}")
    return args


def _devices(ranks: distributed.Ranks) -> list[torch.device]:
    """One process sees every local GPU; under torchrun each rank keeps its own."""
    if ranks.device.type == "cuda" and not ranks.distributed:
        return [torch.device("cuda", i) for i in range(torch.cuda.device_count())]
    return [ranks.device]


def run(args: argparse.Namespace, ranks: distributed.Ranks, stop: CancelRequest) -> None:
    events = EventWriter(ranks.rank)
    split = read_embeddings(args.files, [k for ks in args.image_key for k in ks.split(",")], [k for ks in args.text_key for k in ks.split(",")])
    for warning in split.warnings:
        events.emit({"type": "warning", "message": warning})
    where = " + ".join(split.files)
    # A file of pairs that also holds classes gets its zero-shot figures, as on tfjs (attachZeroShot.ts);
    # its labels are checked before the long pass.
    images = split.image if split.image_as_read is None else split.image_as_read
    classes = zero_shot.classes_in_file(args.files[0], images.shape[0]) if len(args.files) == 1 else None
    detail: Optional[dict[str, torch.Tensor]] = {} if args.detail else None
    result = analyze(split.image, split.text, split.text_to_image, file=where, devices=_devices(ranks),
                     ranks=ranks if ranks.distributed else None, tf32=args.tf32, ks=args.ks,
                     temps=Temperatures(args.ece_tau, args.uniformity_t), stop=stop.requested,
                     progress=None if args.json else lambda done, total: events.emit({"type": "progress", "done": done, "total": total}),
                     detail=detail, temperatures=args.temperatures, note=events.note)
    if ranks.rank != 0:
        return
    if classes is not None:
        # Skipped pairs left out images whose text was bad; the zero-shot pass keeps every usable image.
        x, labels, dropped = (split.image, classes.labels, 0) if split.image_as_read is None else zero_shot.usable_rows(images, classes.labels)
        if dropped:
            events.emit({"type": "warning", "message": f"classes: skipped {dropped} image rows with NaN/Inf or all zeros, and their labels"})
        result["zero_shot"] = zero_shot.zero_shot(x, labels, classes.class_embeds, tau=args.ece_tau,
                                                  device=_devices(ranks)[0], stop=stop.requested, detail=detail)
        if detail is not None and classes.names is not None:
            # The names as a JSON list's UTF-8 bytes, one int32 each: the writer's integer dtype.
            detail["zero_shot_class_names"] = torch.tensor(list(json.dumps(classes.names).encode()), dtype=torch.int32)
    if detail is not None:
        metadata = None
        if args.view_pairs:
            detail.update(_view_rows(split, args.view_pairs))
            metadata = split.metadata
        write_safetensors(args.detail, detail, metadata)
    if args.json:
        sys.stdout.write(to_json(result) + "\n")
    else:
        write_event({"type": "analysis", "result": result})


def _view_rows(split: Embeddings, most: int) -> dict[str, torch.Tensor]:
    """The drawn pairs' raw rows, gathered from the input (a memory-mapped file gives up only those rows)."""
    texts = torch.tensor(views.view_pairs(split.text.shape[0], most), dtype=torch.int64)
    images = texts if split.text_to_image is None else split.text_to_image[texts]
    return {"view_pairs": texts.int(), "view_image": split.image[images].float(), "view_text": split.text[texts].float()}


def _error(rank: int, message: str, err: Optional[InputError] = None) -> None:
    event: dict[str, object] = {"type": "error", "rank": rank, "message": message}
    if err is not None:
        event["input"] = {"file": err.file, "problem": err.problem}
    write_event(event)


def main(argv: Optional[Sequence[str]] = None) -> int:
    rank = 0
    try:
        args = parse_args(argv)
        rank = distributed.env_ranks()[0]
        ranks = distributed.init("auto")
        rank = ranks.rank
        run(args, ranks, CancelRequest())
        return EXIT_OK
    except ArgumentError as err:
        sys.stderr.write(f"python -m embedding_lens analyze: {err}\n")
        return EXIT_INPUT
    except CancelledError:
        if rank == 0:
            write_event({"type": "cancelled", "message": "analysis cancelled"})
        return EXIT_OK if under_torchrun() else EXIT_CANCELLED
    except InputError as err:
        # Every rank reads the same file and fails alike: rank 0 speaks for them.
        if rank == 0:
            _error(rank, err.line(), err)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return EXIT_CANCELLED
    except PeerOutOfMemory:
        # The rank that ran out writes the error line; one per job, not one per rank.
        return EXIT_FAILED
    except Exception as err:  # noqa: BLE001 - the traceback is for the log, the event line for the user
        traceback.print_exc(file=sys.stderr)
        _error(rank, f"{type(err).__name__}: {' '.join(str(err).split())}"[:500])
        return EXIT_FAILED
    finally:
        distributed.destroy()
