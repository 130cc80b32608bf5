"""The eval metric that picks best.safetensors (config `bestMetric`), as src/core/train/bestMetric.ts."""
from __future__ import annotations

import math
from typing import Any, Optional

#: Read from the first of the run's evalSuites; higher is better.
SUITE_METRICS = ("id_top1", "ood_mean")


def metric_value(r: dict[str, Any], metric: str, suites: Optional[list[dict[str, Any]]] = None) -> float:
    """`suites`: the epoch's evalSuites results (SuiteResult dicts); id_top1 and ood_mean read the first."""
    if metric in SUITE_METRICS:
        if not suites:
            return math.nan
        return float(suites[0]["inDistribution"]["result"]["top1"] if metric == "id_top1" else suites[0]["ood_mean"])
    if metric == "mean_R@1":
        return (r["i2t"]["R@1"] + r["t2i"]["R@1"]) / 2
    if "." in metric:
        direction, key = metric.split(".", 1)
        return float(r[direction][key])
    return float(r[metric])


def is_better(metric: str, candidate: float, best: Optional[float]) -> bool:
    """Strictly better, so ties keep the earlier epoch."""
    if best is None:
        return True
    return candidate > best if "R@" in metric or metric in SUITE_METRICS else candidate < best
