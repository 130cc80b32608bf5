"""
The bar the torch engine's CPU pass is measured against (`npm run bench -- --engine torch`): the same
statistics as python/embedding_lens/metrics.py (both retrieval directions from one X Y^T product per
row block, hardest negatives, both ECE softmaxes, the three uniformities), fused and blocked in plain
numpy on its BLAS: float32 products and elementwise work, float64 sums. One caption per image; the
text queries' true scores come from a row-wise dot product (a benchmark needs no tie-exact ranks).

Prints one JSON line: seconds, effective GFLOP/s (as bench.ts counts them) and peak RSS.
"""
from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np

ROWS = 1024
TAU = 0.01
T2 = 4.0


def unit(m: np.ndarray) -> np.ndarray:
    return (m / np.linalg.norm(m.astype(np.float64), axis=1, keepdims=True)).astype(np.float32)


def within(z: np.ndarray) -> float:
    total = 0.0
    n = len(z)
    for a in range(0, n, ROWS):
        b = min(n, a + ROWS)
        square = np.exp(T2 * (z[a:b] @ z[a:b].T) - T2)
        total += float(np.triu(square, 1).sum(dtype=np.float64))
        if b < n:
            total += float(np.exp(T2 * (z[a:b] @ z[b:].T) - T2).sum(dtype=np.float64))
    return total


def analyze(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    n = len(x)
    x, y = unit(x), unit(y)
    col_true = np.einsum("ij,ij->i", x, y)
    col_max = np.full(n, -np.inf, dtype=np.float32)
    col_sum = np.zeros(n)
    col_count = np.zeros(n, dtype=np.int64)
    ranks = np.zeros(n, dtype=np.int64)
    conf = np.zeros(n)
    cross = 0.0
    for a in range(0, n, ROWS):
        b = min(n, a + ROWS)
        s = x[a:b] @ y.T
        idx = np.arange(b - a)
        positive = s[idx, a + idx]
        ranks[a:b] = (s > positive[:, None]).sum(1)
        row_max = s.max(1)
        conf[a:b] = 1 / np.exp((s - row_max[:, None]) / TAU).sum(1, dtype=np.float64)
        col_count += (s > col_true[None, :]).sum(0)
        # The true pair's own entry, from a different product than col_true's, must not count against it.
        col_count[a:b] -= positive > col_true[a:b]
        block_max = s.max(0)
        new_max = np.maximum(col_max, block_max)
        col_sum = col_sum * np.exp((col_max - new_max).astype(np.float64) / TAU) + \
            np.exp((s - block_max[None, :]) / TAU).sum(0, dtype=np.float64) * np.exp((block_max - new_max).astype(np.float64) / TAU)
        col_max = new_max
        cross += float(np.exp(T2 * s - T2).sum(dtype=np.float64))
    pairs = lambda m: m * (m - 1) / 2  # noqa: E731
    exp_x, exp_y = within(x), within(y)
    return {"uniformity": float(np.log((exp_x + exp_y + cross) / pairs(2 * n))), "i2t_R@1": float(100 * (ranks < 1).mean()),
            "t2i_R@1": float(100 * (col_count < 1).mean()), "mean_confidence": float(conf.mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--dim", type=int, default=512)
    args = parser.parse_args()
    r = np.random.default_rng(1)
    x = r.standard_normal((args.n, args.dim), dtype=np.float32)
    y = x + r.standard_normal((args.n, args.dim), dtype=np.float32)
    start = time.perf_counter()
    result = analyze(x, y)
    seconds = time.perf_counter() - start
    flops = 2 * args.dim * (args.n * args.n + args.n * (args.n - 1))
    print(json.dumps({"bench": "analyze-numpy", "n": args.n, "dim": args.dim, "seconds": round(seconds, 3), "gflops": round(flops / seconds / 1e9, 1),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024), **result}), flush=True)


if __name__ == "__main__":
    main()
