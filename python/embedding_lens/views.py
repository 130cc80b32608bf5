"""
What the analysis panel draws besides the metrics, computed where the rows already are, so that the
extension does not read a million-pair checkpoint a second time: the seeded sample of pairs that
the scatter and the sphere draw (src/core/analysis/viewPairs.ts), and ECE against the softmax
temperature for the calibration chart (src/core/calibration/temperatureSweep.ts). Both follow the
TypeScript rules step for step: the same seeds, the same queries and the same bins.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import torch

from .calibration import expected_calibration_error
from .errors import CancelledError
from .gram_pass import tile
from .rng import mulberry32, sample_indices

#: viewPairs.ts's viewPairsSeed.
VIEW_PAIRS_SEED = 12345
#: temperatureSweep.ts: its query sample's seed, its budget of exponentials, and its least sample.
SWEEP_SEED = 777
SWEEP_EXPONENTIALS = 1e8
SWEEP_MIN_QUERIES = 200
#: Terms more than this many temperatures below a row's maximum change a confidence by < N * 4e-18.
NEGLIGIBLE = 40
#: Scores held at once per query block of the sweep (a quarter of a GiB of float32).
SWEEP_BLOCK_SCORES = 1 << 26


def view_pairs(n_text: int, most: int) -> list[int]:
    """The texts whose pairs the views draw: all of them up to `most`, else a seeded sample."""
    return sample_indices(n_text, min(n_text, most), mulberry32(VIEW_PAIRS_SEED))


@dataclass
class TemperatureSweep:
    ece: list[float]
    #: Image queries softmaxed (a seeded sample beyond the budget of exponentials).
    queries: int


def temperature_sweep(x: torch.Tensor, y: torch.Tensor, owner: Optional[torch.Tensor], taus: list[float],
                      bins: int, stop: Optional[Callable[[], bool]] = None) -> TemperatureSweep:
    """
    ECE of image queries at each temperature: x, y unit rows with the captions in file order,
    owner[k] the image of caption k (None: by row). A query is right when the first text of its
    row's maximum belongs to it. stop() true between query blocks raises CancelledError.
    """
    ni, nt = x.shape[0], y.shape[0]
    want = max(SWEEP_MIN_QUERIES, math.floor(SWEEP_EXPONENTIALS / (max(1, nt) * len(taus))))
    queries = torch.tensor(sample_indices(ni, min(ni, want), mulberry32(SWEEP_SEED)), dtype=torch.int64, device=x.device)
    confidence = torch.empty((len(taus), len(queries)), dtype=torch.float64, device=x.device)
    correct = torch.empty(len(queries), dtype=torch.bool, device=x.device)
    columns = torch.arange(nt, device=x.device)
    block = max(1, SWEEP_BLOCK_SCORES // max(1, nt))
    for a in range(0, len(queries), block):
        if stop is not None and stop():
            raise CancelledError("analysis cancelled")
        q = queries[a:a + block]
        s = tile(x[q], y)
        best = s.max(1).values
        first = torch.where(s == best[:, None], columns[None, :], nt).min(1).values
        correct[a:a + len(q)] = (first if owner is None else owner[first]) == q
        gaps = s.sub_(best[:, None])
        for k, tau in enumerate(taus):
            terms = torch.where(gaps > -NEGLIGIBLE * tau, torch.exp(gaps / tau), torch.zeros((), device=x.device))
            confidence[k, a:a + len(q)] = 1 / terms.sum(1, dtype=torch.float64)
    return TemperatureSweep([expected_calibration_error(c, correct, bins) for c in confidence], len(queries))

