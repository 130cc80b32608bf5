"""
The event lines on stdout that the extension and the CLI read: `@embedding-lens ` then JSON. Only
rank 0 writes them, except error events, which any failing rank writes.
"""
from __future__ import annotations

import json
import math
import sys
from typing import Any

PREFIX = "@embedding-lens "


def finite_or_none(value: Any) -> Any:
    """JSON has no NaN or Infinity: like JSON.stringify, they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite_or_none(v) for v in value]
    return value


def to_json(value: Any) -> str:
    return json.dumps(finite_or_none(value), separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class EventWriter:
    """Writes events on rank 0; every write is flushed so a reader sees each line as it happens."""

    def __init__(self, rank: int) -> None:
        self.rank = rank

    def emit(self, event: dict[str, Any]) -> None:
        if self.rank == 0:
            write_event(event)

    def note(self, message: str) -> None:
        self.emit({"type": "note", "message": message})


def write_event(event: dict[str, Any]) -> None:
    sys.stdout.write(PREFIX + to_json(event) + "\n")
    sys.stdout.flush()
