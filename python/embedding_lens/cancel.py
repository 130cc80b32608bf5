"""A run's stop request: the file named by EMBEDDING_LENS_CANCEL_FILE, or SIGINT/SIGTERM."""
from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Optional

CANCEL_FILE_ENV = "EMBEDDING_LENS_CANCEL_FILE"


class CancelRequest:
    """
    The first signal only raises the flag, which the ranks agree on at the next step boundary; a
    second one stops at once (a run stuck where it never reaches a boundary).
    """

    def __init__(self) -> None:
        self.signalled = False
        self.file = os.environ.get(CANCEL_FILE_ENV) or None
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, frame: Optional[FrameType]) -> None:
        if self.signalled:
            raise KeyboardInterrupt(f"stopped by a second {signal.Signals(signum).name}")
        self.signalled = True

    def requested(self) -> bool:
        return self.signalled or (self.file is not None and os.path.exists(self.file))
