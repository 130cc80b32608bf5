"""
`python -m embedding_lens train CONFIG [--overrides JSON]`: one rank of a run. Whatever a rank
raises ends as one error event (and its traceback on stderr and in the run folder), never as a bare
Python traceback on the user's screen; the exit code says how the run ended.
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from typing import Optional

from . import distributed
from .cancel import CancelRequest
from .config import load_config, parse_overrides
from .errors import InputError
from .events import EventWriter, write_event

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INPUT = 2
EXIT_CANCELLED = 130


def under_torchrun() -> bool:
    return "TORCHELASTIC_RUN_ID" in os.environ


def exit_code(status: str) -> int:
    """
    completed 0, cancelled 130, diverged 1. Under torchrun a rank's non-zero exit makes torchrun
    report a crash of its own (a traceback, exit 1) over the summary that already says how the run
    ended, so there the ranks of a cancelled or diverged run exit 0.
    """
    if status == "completed" or under_torchrun():
        return EXIT_OK
    return EXIT_CANCELLED if status == "cancelled" else EXIT_FAILED


def one_line(err: BaseException) -> str:
    if isinstance(err, InputError):
        return err.line()
    text = str(err).strip().split("\n")[0].strip()
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def report_failure(err: BaseException, rank: int, run_dir: Optional[str]) -> None:
    """The traceback to stderr and <runDir>/rank-K.traceback.txt (when the folder exists), then the error event."""
    trace = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    sys.stderr.write(f"[rank {rank}] {trace}")
    sys.stderr.flush()
    if run_dir and os.path.isdir(run_dir):
        try:
            with open(os.path.join(run_dir, f"rank-{rank}.traceback.txt"), "w", encoding="utf-8") as f:
                f.write(trace)
        except OSError as write_err:
            sys.stderr.write(f"[rank {rank}] cannot write its traceback into {run_dir}: {write_err}\n")
    event: dict[str, object] = {"type": "error", "rank": rank, "message": one_line(err)}
    if isinstance(err, InputError):
        event["input"] = {"file": err.file, "problem": err.problem}
    write_event(event)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m embedding_lens train", description="One rank of an m²-Mix fine-tuning run.")
    parser.add_argument("config", help="the run configuration, NAME.m2mix.json")
    parser.add_argument("--overrides", default=None, help="JSON object of keys that replace the config's (the CLI's flags)")
    args = parser.parse_args(argv)
    rank, _, _ = distributed.env_ranks()
    run_dir: Optional[str] = None
    try:
        config = load_config(args.config, parse_overrides(args.overrides) if args.overrides else None)
        run_dir = os.path.join(config["out"], config["name"])
        ranks = distributed.init(config["devices"])
        # After init: SIGINT/SIGTERM now raise the flag instead of interrupting.
        cancel = CancelRequest()
        from .trainer import train

        summary = train(config, ranks, EventWriter(ranks.rank), cancel)
        EventWriter(ranks.rank).emit({"type": "summary", **summary})
        return exit_code(summary["status"])
    except (Exception, KeyboardInterrupt) as err:  # noqa: BLE001 - every failure becomes one error event
        report_failure(err, rank, run_dir)
        return EXIT_INPUT if isinstance(err, InputError) else EXIT_FAILED
    finally:
        distributed.destroy()
