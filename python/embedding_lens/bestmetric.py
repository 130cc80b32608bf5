"""The eval metric that picks best.safetensors (config `bestMetric`), as src/core/train/bestMetric.ts."""
from __future__ import annotations

from typing import Any, Optional


def metric_value(r: dict[str, Any], metric: str) -> float:
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
    return candidate > best if "R@" in metric else candidate < best
