"""
Every metric of METRICS.md in one blocked pass, as src/core/metrics/analyze.ts computes them:
nothing N x N is held (gram_pass.py's tiles), products in float32 (TF32 only when asked), sums in
float64. Row blocks spread over the local GPUs and over torchrun's ranks; their statistics merge
exactly (sums, counts, maxima with their first index), so the result does not depend on how many
ran. Returns the analyze JSON of the TypeScript engine, plus "engine" and "backend".
"""
from __future__ import annotations

import math
import threading
from typing import Any, Callable, Optional, Sequence, TypeVar

import torch
import torch.distributed as dist

from . import gram_pass, testhooks, views
from .calibration import ECE_BINS, expected_calibration_error, reliability_bins
from .distributed import Ranks
from .errors import CancelledError, InputError
from .gram_pass import Operands, Partial, Temperatures, Tiling
from .tile_reductions import TileKernels, kernels_for

KS = (1, 5, 10)
#: Row-block and column-tile edges on the CPU: a tile (4 MiB) and its scratch stay near the caches, and
#: the staircase's extra products (one tile per row block) stay a small share at 5,000 pairs.
CPU_TILING = Tiling(1024, 1024)
#: On a GPU, tiles this wide keep the products large enough to fill the card.
GPU_TILE = 8192
#: The smallest tile edge an out-of-memory retry goes down to.
MIN_RETRY_TILE = 256
#: Rows of the input normalised at a time (the file's rows stream to the device in such blocks).
INPUT_BLOCK_ROWS = 65536

T = TypeVar("T")


class PeerOutOfMemory(RuntimeError):
    """Another rank ran out of device memory even with the smallest tiles; that rank's error line says so."""


class _RanOutOfMemory(Exception):
    """Some rank ran out of device memory in this attempt; raised on every rank, so all retry together."""

    def __init__(self, mine: Optional[BaseException]) -> None:
        super().__init__("out of device memory")
        #: This rank's own error (its traceback dropped, so the attempt's tensors can be freed); None when another rank's.
        self.mine = mine


def _unit_rows(m: torch.Tensor, device: torch.device, file: str, what: str) -> tuple[torch.Tensor, dict[str, float]]:
    """
    Unit rows in float32 on the device and the input norms, refusing rows that cannot be normalised.
    The rows go over in blocks, so a memory-mapped input is read once and never held in float64.
    """
    n = m.shape[0]
    unit = torch.empty((n, m.shape[1]), dtype=torch.float32, device=device)
    norms = torch.empty(n, dtype=torch.float64, device=device)
    for a in range(0, n, INPUT_BLOCK_ROWS):
        block = m[a:a + INPUT_BLOCK_ROWS].to(device=device, dtype=torch.float64)
        norms[a:a + len(block)] = block.norm(dim=1)
        unit[a:a + len(block)] = block / norms[a:a + len(block), None]
    bad = (~torch.isfinite(norms) | (norms <= 0)).nonzero()
    if len(bad):
        r = int(bad[0, 0])
        raise InputError(file, f"{what} row {r} has norm {float(norms[r])}")
    stats = {"min": float(norms.min()), "mean": float(norms.mean()), "max": float(norms.max())}
    return unit, stats


def _tiling(device: torch.device) -> Tiling:
    if device.type != "cuda":
        return CPU_TILING
    # A tile and about eight temporaries of its size in a quarter of the free memory.
    free, _total = torch.cuda.mem_get_info(device)
    edge = GPU_TILE
    while edge > 512 and edge * edge * 4 * 8 > free // 4:
        edge //= 2
    return Tiling(edge, edge)


def _retrieval(ranks: torch.Tensor, ks: tuple[int, ...]) -> dict[str, float]:
    n = ranks.numel()
    s = ranks.sort().values
    mid = n // 2
    median = float(s[mid]) if n % 2 else (float(s[mid - 1]) + float(s[mid])) / 2
    def recall(k: int) -> float:
        return 100 * int((ranks < k).sum()) / n

    # Keys in the TypeScript engine's order: R@1, R@5, R@10 always, then the ranks, then any other K.
    stats = {f"R@{k}": recall(k) for k in KS}
    stats["median_rank"] = median + 1
    stats["mean_rank"] = float(ranks.to(torch.float64).sum()) / n + 1
    for k in sorted(set(ks) - set(KS)):
        stats[f"R@{k}"] = recall(k)
    return stats


def _all_reduce(t: torch.Tensor, op: Any, ranks: Optional[Ranks]) -> torch.Tensor:
    if ranks is not None and ranks.distributed:
        dist.all_reduce(t, op=op)
    return t


def _merge(parts: list[Partial], home: torch.device, ranks: Optional[Ranks], ece_tau: float) -> Partial:
    """
    The statistics of every worker of every rank: rows are disjoint (summed), columns combine by
    sum (counts), max (hardest), first maximum (argmax: the lowest row among equal maxima) and
    the softmax sums rescaled to the common maximum.
    """
    ps = [Partial(**{k: v.to(home) for k, v in vars(p).items()}) for p in parts]

    def total(name: str) -> torch.Tensor:
        return _all_reduce(torch.stack([getattr(p, name) for p in ps]).sum(0), dist.ReduceOp.SUM, ranks)

    col_max = _all_reduce(torch.stack([p.col_max for p in ps]).amax(0), dist.ReduceOp.MAX, ranks)
    col_hardest = _all_reduce(torch.stack([p.col_hardest for p in ps]).amax(0), dist.ReduceOp.MAX, ranks)
    col_argmax = _all_reduce(torch.stack([torch.where(p.col_max == col_max, p.col_argmax, torch.full_like(p.col_argmax, gram_pass.NO_INDEX))
                                          for p in ps]).amin(0), dist.ReduceOp.MIN, ranks)
    rescaled = [p.col_expsum * torch.exp((p.col_max - col_max).double() / ece_tau) for p in ps]
    col_expsum = _all_reduce(torch.stack(rescaled).sum(0), dist.ReduceOp.SUM, ranks)
    return Partial(total("row_rank"), total("row_hardest"), total("row_confidence"), total("row_correct"),
                   total("col_count"), col_hardest, col_max, col_argmax, col_expsum, total("sums"))


def _in_parallel(jobs: list[Callable[[], Any]]) -> list[Any]:
    """One thread per local device (its kernels run while the others are queued); inline for one."""
    if len(jobs) == 1:
        return [jobs[0]()]
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = jobs[i]()
        except BaseException as err:  # noqa: BLE001 - re-raised on the calling thread
            errors.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def _owned(blocks: int, worker: int, workers: int) -> list[int]:
    # Round robin: the triangles of the uniformity pass shrink with the row, so contiguous shares would not balance.
    return [r for r in range(blocks) if r % workers == worker]


def _together(job: Callable[[], T], ranks: Optional[Ranks], home: torch.device) -> T:
    """
    This rank's share of one phase, then one all-reduce of "ran out of memory": every rank leaves
    a failed attempt at the same collective (a rank retrying alone would pair its all-reduces with
    the other ranks' next ones). Other errors propagate and fail the job as before.
    """
    mine: Optional[BaseException] = None
    try:
        out: Optional[T] = job()
    except Exception as err:  # noqa: BLE001 - anything but running out of memory is re-raised
        if not _out_of_memory(err):
            raise
        mine, out = err.with_traceback(None), None
    flag = _all_reduce(torch.tensor([0 if mine is None else 1], dtype=torch.int64, device=home), dist.ReduceOp.MAX, ranks)
    if int(flag) > 0:
        raise _RanOutOfMemory(mine)
    return out  # type: ignore[return-value] - None only when some rank ran out, which raised above


def _out_of_memory(err: BaseException) -> bool:
    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    # Builds without the class raise a RuntimeError saying "CUDA out of memory".
    return (oom is not None and isinstance(err, oom)) or (isinstance(err, RuntimeError) and "out of memory" in str(err))


def _agreed(tiling: Tiling, ranks: Optional[Ranks], home: torch.device) -> Tiling:
    """The smallest rank's tiling on every rank: row blocks are dealt by index, so ranks must cut them alike."""
    edges = _all_reduce(torch.tensor([tiling.rows, tiling.cols], dtype=torch.int64, device=home), dist.ReduceOp.MIN, ranks)
    return Tiling(int(edges[0]), int(edges[1]))


def _gram_statistics(ops: list[Operands], tiling: Tiling, temps: Temperatures, kernels: TileKernels, ranks: Optional[Ranks],
                     progress: Optional[Callable[[int, int], None]], stop: Optional[Callable[[], bool]]) -> tuple[Partial, torch.Tensor]:
    """The merged statistics and every caption's true score (in sorted caption order)."""
    ni, nt = ops[0].x.shape[0], ops[0].y.shape[0]
    rank, world = (ranks.rank, ranks.world) if ranks is not None else (0, 1)
    workers = world * len(ops)
    ids = [rank * len(ops) + j for j in range(len(ops))]
    image_blocks, text_blocks = len(tiling.row_blocks(ni)), len(tiling.row_blocks(nt))
    mine_x = [_owned(image_blocks, w, workers) for w in ids]
    mine_y = [_owned(text_blocks, w, workers) for w in ids]
    stairs = gram_pass.staircase(ops[0].owner.tolist(), tiling, ni, nt)
    home = ops[0].x.device

    found = _together(lambda: _in_parallel([lambda o=o, m=m: gram_pass.true_scores(o, tiling, m, stairs) for o, m in zip(ops, mine_x)]),
                      ranks, home)
    row_best = _all_reduce(torch.stack([f[0].to(home) for f in found]).amax(0), dist.ReduceOp.MAX, ranks)
    col_true = _all_reduce(torch.stack([f[1].to(home) for f in found]).amax(0), dist.ReduceOp.MAX, ranks)

    units = sum(2 * len(mx) + len(my) for mx, my in zip(mine_x, mine_y))
    done = [0]
    lock = threading.Lock()

    def tick() -> bool:
        with lock:
            done[0] += 1
            if progress is not None:
                progress(done[0], units)
        return stop is None or not stop()

    def work(o: Operands, mx: list[int], my: list[int]) -> Optional[Partial]:
        part = gram_pass.cross_pass(o, tiling, temps, mx, stairs, row_best.to(o.x.device), col_true.to(o.x.device), kernels, tick)
        if part is None:
            return None
        for slot, z, mine in ((1, o.x, mx), (2, o.y, my)):
            within = gram_pass.within_pass(z, tiling, temps, mine, kernels, tick)
            if within is None:
                return None
            part.sums[slot] += within
        return part

    def main_pass() -> list[Optional[Partial]]:
        testhooks.maybe_run_out_of_memory(rank, tiling.rows)
        return _in_parallel([lambda o=o, mx=mx, my=my: work(o, mx, my) for o, mx, my in zip(ops, mine_x, mine_y)])

    parts = _together(main_pass, ranks, home)
    stopped = torch.tensor([1.0 if any(p is None for p in parts) else 0.0], device=home)
    if float(_all_reduce(stopped, dist.ReduceOp.MAX, ranks)) > 0:
        raise CancelledError("analysis cancelled")
    return _merge(parts, home, ranks, temps.ece_tau), col_true


def _with_smaller_tiles_on_oom(run: Callable[[Tiling], T], tiling: Tiling, ranks: Optional[Ranks],
                               note: Optional[Callable[[str], None]]) -> T:
    """
    run(tiling), again with tiles of half the edge while any rank runs out of device memory. Every
    rank learns of it in the same attempt (_together), so all shrink to the same tiling; at
    MIN_RETRY_TILE the rank that ran out fails with its own error and the others quietly.
    """
    while True:
        try:
            return run(tiling)
        except _RanOutOfMemory as short:
            if tiling.rows <= MIN_RETRY_TILE:
                if short.mine is not None:
                    raise short.mine from None
                raise PeerOutOfMemory("another rank ran out of device memory") from None
            torch.cuda.empty_cache()
            tiling = Tiling(tiling.rows // 2, tiling.cols // 2)
            if note is not None and (ranks is None or ranks.rank == 0):
                note(f"out of device memory: analysing again with tiles of {tiling.rows} x {tiling.cols}"
                     + (" on every rank" if ranks is not None and ranks.distributed else ""))


def _log(total: float) -> float:
    """A large t can underflow every term: -inf (null in the JSON, as JSON.stringify writes it), not an error."""
    return math.log(total) if total > 0 else -math.inf


def _owners(text_to_image: Optional[torch.Tensor], ni: int, nt: int, file: str) -> torch.Tensor:
    if text_to_image is None:
        if ni != nt:
            raise InputError(file, f"{ni} images but {nt} texts and no text-to-image index")
        return torch.arange(nt)
    owner = text_to_image.to(dtype=torch.int64, device="cpu")
    if owner.numel() != nt:
        raise InputError(file, f"text-to-image index has {owner.numel()} entries for {nt} texts")
    outside = ((owner < 0) | (owner >= ni)).nonzero()
    if len(outside):
        k = int(outside[0, 0])
        raise InputError(file, f"text {k} points to image {int(owner[k])}, outside 0..{ni - 1}")
    empty = (torch.bincount(owner, minlength=ni) == 0).nonzero()
    if len(empty):
        raise InputError(file, f"image {int(empty[0, 0])} has no caption in the text-to-image index")
    return owner


def analyze(image: torch.Tensor, text: torch.Tensor, text_to_image: Optional[torch.Tensor] = None,
            file: str = "embeddings", device: Optional[torch.device] = None, *, devices: Optional[list[torch.device]] = None,
            ranks: Optional[Ranks] = None, tf32: bool = False, progress: Optional[Callable[[int, int], None]] = None,
            stop: Optional[Callable[[], bool]] = None, ks: tuple[int, ...] = KS, temps: Temperatures = Temperatures(),
            detail: Optional[dict[str, torch.Tensor]] = None, temperatures: Sequence[float] = (),
            note: Optional[Callable[[str], None]] = None, kernels: Optional[TileKernels] = None) -> dict[str, Any]:
    """
    The analyze JSON of (image, text) embeddings; text_to_image[k] is caption k's image (default: by
    row). devices: this process's devices (default: `device`, else the image's); ranks: torchrun's,
    whose rows are split with the devices'. tf32: TF32 products on CUDA (faster, but scores move by
    about 1e-3, so metrics agree only to about 1e-3 and near-ties can change ranks). stop() true
    cancels (CancelledError on every rank). detail, when given, receives the per-query arrays of
    the TypeScript AnalysisDetail (captions in file order): positive, hardest_negative_i2t,
    hardest_negative_t2i, ranks_i2t, ranks_t2i, and the i2t ECE's bins as reliability_count,
    reliability_confidence and reliability_accuracy, and with `temperatures` the image queries' ECE
    at each (views.temperature_sweep) as temperature_ece and temperature_queries, on rank 0 only.
    A device out of memory (on any rank) makes every rank retry with tiles of half the edge, and
    note() says so on rank 0. kernels: how tiles are reduced (default: tile_reductions.kernels_for
    the first device, compiled on CUDA).
    """
    devices = devices or [device or image.device]
    ni, nt, dim = image.shape[0], text.shape[0], image.shape[1]
    if text.shape[1] != dim:
        raise InputError(file, f"image dimension {dim} differs from text dimension {text.shape[1]}")
    if ni < 2 or nt < 2:
        raise InputError(file, f"needs at least 2 images and 2 texts, got {ni} and {nt}")
    owner = _owners(text_to_image, ni, nt, file)
    home = devices[0]
    x, image_norms = _unit_rows(image, home, file, "image")
    y, text_norms = _unit_rows(text, home, file, "text")
    # Captions sorted by image put the true pairs on a staircase of tiles (gram_pass.py).
    order = torch.sort(owner, stable=True).indices
    identity = bool((order == torch.arange(nt)).all())
    y_sorted, owner_sorted = (y, owner) if identity else (y[order.to(home)], owner[order])
    ops = [Operands(x.to(d), y_sorted.to(d), owner_sorted.to(d), None if identity else order.to(d)) for d in devices]
    tf32_before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    try:
        kernels = kernels or kernels_for(home, note if ranks is None or ranks.rank == 0 else None)
        stats, col_true = _with_smaller_tiles_on_oom(lambda tiling: _gram_statistics(ops, tiling, temps, kernels, ranks, progress, stop),
                                                     _agreed(_tiling(home), ranks, home), ranks, note)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = tf32_before
    result = _result(stats, col_true, owner_sorted.to(home), x, y, temps, ks)
    if detail is not None:
        in_file_order = torch.empty_like(order)
        in_file_order[order] = torch.arange(nt)
        # The bins of the ECE in the result, from the same confidences and hits.
        count, confidence, accuracy = reliability_bins(stats.row_confidence, stats.row_correct.bool())
        detail.update(positive=col_true.cpu()[in_file_order], hardest_negative_i2t=stats.row_hardest.cpu(),
                      hardest_negative_t2i=stats.col_hardest.cpu()[in_file_order],
                      ranks_i2t=stats.row_rank.cpu().int(), ranks_t2i=stats.col_count.cpu().round().int()[in_file_order],
                      reliability_count=count.cpu(), reliability_confidence=confidence.cpu(), reliability_accuracy=accuracy.cpu())
        if temperatures and (ranks is None or ranks.rank == 0):
            sweep = views.temperature_sweep(x, y, None if text_to_image is None else owner.to(home), list(temperatures), ECE_BINS, stop)
            detail.update(temperature_ece=torch.tensor(sweep.ece, dtype=torch.float64), temperature_queries=torch.tensor([sweep.queries]))
    return {**result, "input_norms": {"image": image_norms, "text": text_norms}, "engine": "torch",
            "backend": ",".join(str(d) for d in devices) + (" (tf32)" if tf32 and home.type == "cuda" else "")}


def _result(stats: Partial, col_true: torch.Tensor, owner: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
            temps: Temperatures, ks: tuple[int, ...]) -> dict[str, Any]:
    ni, nt, dim = x.shape[0], y.shape[0], x.shape[1]
    pos = col_true.double()
    alignment = float((2 - 2 * pos).sum()) / nt
    hn_i2t = float((2 * stats.row_hardest.double()[owner] - 2 * pos).sum()) / nt
    hn_t2i = float((2 * stats.col_hardest.double() - 2 * pos).sum()) / nt
    gap = float((x.sum(0, dtype=torch.float64) / ni - y.sum(0, dtype=torch.float64) / nt).norm())
    cross, exp_image, exp_text = stats.sums.tolist()

    def pairs(m: int) -> float:
        return m * (m - 1) / 2

    return {
        "n": nt,
        "dim": dim,
        "uniformity": _log(exp_image + exp_text + cross) - math.log(pairs(ni + nt)),
        "uniformity_image": _log(exp_image) - math.log(pairs(ni)),
        "uniformity_text": _log(exp_text) - math.log(pairs(nt)),
        "alignment": alignment,
        "hardest_negative_alignment_i2t": hn_i2t,
        "hardest_negative_alignment_t2i": hn_t2i,
        "modality_gap": gap,
        "i2t": _retrieval(stats.row_rank, ks),
        "t2i": _retrieval(stats.col_count.round().long(), ks),
        "ece": expected_calibration_error(stats.row_confidence, stats.row_correct.bool()),
        "ece_t2i": expected_calibration_error(1 / stats.col_expsum, stats.col_argmax == owner),
        "ece_tau": temps.ece_tau,
        "uniformity_t": temps.uniformity_t,
        "n_image": ni,
        "n_text": nt,
    }
