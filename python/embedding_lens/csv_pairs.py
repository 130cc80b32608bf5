"""
Image–caption datasets as OpenCLIP reads them: a CSV (or TSV) with a header, an image-path column
and a caption column, image paths relative to the file. Rows naming the same image are several
captions of it (COCO style). Every image is checked before a run starts (exists, PIL can identify
it) so a bad file is counted and named up front instead of failing a rank mid-epoch.

PIL is imported when a dataset is opened, not with the package (the package needs only torch).
"""
from __future__ import annotations

import concurrent.futures as futures
import csv
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

import torch

from .errors import InputError
from .models.towers import one_line, to_device

#: More bad rows than this share (or all of them) refuses the dataset; fewer are skipped with a note.
BAD_ROW_LIMIT = 0.05
#: How many bad files a message names before "and N more".
NAMED = 5

Preprocess = Callable[[Any], torch.Tensor]
Tokenize = Callable[[list[str]], Any]


@dataclass
class Table:
    """A dataset's rows after the checks: unique images, captions in row order, and their links."""

    file: str
    image_paths: list[str]
    captions: list[str]
    text_image: list[int]
    captions_of: list[list[int]]
    warnings: list[str]
    rows: int


def delimiter_of(file: str) -> str:
    return "\t" if file.lower().endswith((".tsv", ".tab")) else ","


def read_rows(file: str, image_column: str, caption_column: str) -> tuple[list[tuple[int, str, Optional[str]]], int]:
    """(line, image cell, caption cell) per data row; a missing column is one line listing those found."""
    try:
        handle = open(file, newline="", encoding="utf-8-sig")
    except OSError as err:
        raise InputError(file, f"cannot be read ({err.strerror or one_line(err)})") from None
    with handle:
        try:
            reader = csv.reader(handle, delimiter=delimiter_of(file))
            header = next(reader, None)
            if header is None:
                raise InputError(file, "is empty; expected a header row naming the image and caption columns")
            header = [h.strip() for h in header]
            missing = [c for c in (image_column, caption_column) if c not in header]
            if missing:
                found = ", ".join(f"'{h}'" for h in header[:20]) + (f" and {len(header) - 20} more" if len(header) > 20 else "")
                which = " and ".join(f"'{c}'" for c in missing)
                sep = "tab" if delimiter_of(file) == "\t" else "comma"
                raise InputError(file, f"has no column {which} ({sep}-separated header columns: {found}); set \"imageColumn\"/\"captionColumn\" to name yours")
            ci, cc = header.index(image_column), header.index(caption_column)
            rows = []
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue  # blank lines, a trailing newline
                rows.append((reader.line_num, row[ci].strip() if ci < len(row) else "", row[cc] if cc < len(row) else None))
        except UnicodeDecodeError as err:
            raise InputError(file, f"is not UTF-8 text ({one_line(err)})") from None
        except csv.Error as err:
            raise InputError(file, f"is not valid CSV ({one_line(err)})") from None
    return rows, len(rows)


def image_problem(path: str) -> Optional[str]:
    """Why PIL cannot use `path` ("missing", "not an image..."), or None. Cheap: identify + verify, no decode."""
    from PIL import Image

    try:
        if not os.path.isfile(path):
            return "missing" if not os.path.exists(path) else "not a file"
        with Image.open(path) as im:
            im.verify()
        return None
    except Exception as err:  # PIL raises OSError, SyntaxError, ValueError... for damaged files
        return f"unreadable: {one_line(err)}"


def check_images(paths: Sequence[str], threads: int) -> dict[str, str]:
    """Problems by path. Threads overlap the file-system round trips of large datasets."""
    if threads <= 1 or len(paths) < 64:
        found = {p: image_problem(p) for p in paths}
    else:
        with futures.ThreadPoolExecutor(max_workers=threads) as pool:
            found = dict(zip(paths, pool.map(image_problem, paths)))
    return {p: why for p, why in found.items() if why is not None}


def read_table(file: str, image_column: str = "filepath", caption_column: str = "title", threads: int = 8) -> Table:
    """Parses and checks a dataset; refuses it in one line when too many rows are bad."""
    try:
        import PIL.Image  # noqa: F401  (decoding needs it; say so before anything else)
    except ImportError:
        raise InputError(file, f"reading its images needs Pillow (pip install pillow) in {sys.executable}") from None
    rows, total = read_rows(file, image_column, caption_column)
    if total == 0:
        raise InputError(file, "has a header but no rows")
    base = os.path.dirname(os.path.abspath(file))
    resolved = [os.path.normpath(os.path.join(base, cell)) if cell else "" for _, cell, _ in rows]
    unique = list(dict.fromkeys(p for p in resolved if p))
    problems = check_images(unique, threads)

    bad: list[str] = []  # "line 12: img/a.png (missing)"
    image_paths: list[str] = []
    index_of: dict[str, int] = {}
    captions: list[str] = []
    text_image: list[int] = []
    captions_of: list[list[int]] = []
    for (line, cell, caption), path in zip(rows, resolved):
        if not cell:
            bad.append(f"line {line}: no image path")
            continue
        if caption is None:
            bad.append(f"line {line}: no caption")
            continue
        if path in problems:
            bad.append(f"{cell} ({problems[path]})")
            continue
        i = index_of.get(path)
        if i is None:
            i = index_of[path] = len(image_paths)
            image_paths.append(path)
            captions_of.append([])
        captions_of[i].append(len(captions))
        text_image.append(i)
        captions.append(caption)

    warnings: list[str] = []
    if bad:
        share = len(bad) / total
        named = "; ".join(bad[:NAMED]) + (f"; and {len(bad) - NAMED} more" if len(bad) > NAMED else "")
        counted = f"{len(bad)} of {total} rows ({100 * share:.1f}%)"
        if len(bad) == total or share > BAD_ROW_LIMIT:
            raise InputError(file, f"{counted} have missing or unreadable images or cells, more than the {100 * BAD_ROW_LIMIT:.0f}% allowed: {named}")
        warnings.append(f"skipped {counted} with missing or unreadable images or cells: {named}")
    return Table(file, image_paths, captions, text_image, captions_of, warnings, total)


class CsvPairs:
    """
    A PairSource over a checked Table: images decoded by PIL (RGB) and the model's preprocess,
    captions tokenized by the model's tokenizer, one batch at a time. With workers > 0 a thread pool
    decodes a batch's images in parallel (PIL and the transforms release the GIL), and prefetch()
    lets the caller start the next batch's decode while the current step runs.

    The trainer may also read it from torch DataLoader worker processes: a forked copy would hold
    thread pools without their threads (a submit would wait forever), and a pickled one (spawn) can
    carry none, so pools belong to the process that made them, and inside a DataLoader worker the
    decode is serial (the parallelism is the workers).
    """

    def __init__(self, table: Table, preprocess: Preprocess, tokenize: Tokenize, workers: int = 0) -> None:
        self.table = table
        self.file = table.file
        self.n_images = len(table.image_paths)
        self.n_texts = len(table.captions)
        self.captions_of = table.captions_of
        self.captions: Optional[list[str]] = table.captions
        self.text_image = table.text_image
        self.warnings = list(table.warnings)
        self._preprocess = preprocess
        self._tokenize = tokenize
        self._workers = max(0, int(workers))
        self._reset()

    def _reset(self) -> None:
        self._owner = os.getpid()
        self._pool: Optional[futures.ThreadPoolExecutor] = None
        self._ahead: Optional[futures.ThreadPoolExecutor] = None
        self._pending: dict[tuple[int, ...], futures.Future[torch.Tensor]] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for key in ("_pool", "_ahead", "_pending", "_lock", "_owner"):
            state.pop(key, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._reset()

    def _threads(self) -> int:
        """Decoding threads in this process: none inside a DataLoader worker; a forked copy starts afresh."""
        if self._owner != os.getpid():
            self._reset()
        if self._workers == 0 or torch.utils.data.get_worker_info() is not None:
            return 0
        return self._workers

    def _decode(self, index: int) -> torch.Tensor:
        from PIL import Image

        path = self.table.image_paths[index]
        try:
            with Image.open(path) as im:
                rgb = im.convert("RGB")
        except Exception as err:  # changed or damaged after the up-front check
            raise InputError(path, f"cannot be decoded ({one_line(err)})") from None
        out = self._preprocess(rgb)
        if not isinstance(out, torch.Tensor):
            raise InputError(path, f"the model's preprocess returned {type(out).__name__}, not a tensor")
        return out

    def _batch(self, indices: tuple[int, ...]) -> torch.Tensor:
        if self._threads() == 0 or len(indices) == 1:
            tensors = [self._decode(i) for i in indices]
        else:
            if self._pool is None:
                self._pool = futures.ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="decode")
            tensors = list(self._pool.map(self._decode, indices))
        return torch.stack(tensors) if tensors else torch.empty(0)

    def prefetch(self, indices: Sequence[int]) -> None:
        """Starts decoding a later batch in the background; images() of the same indices collects it."""
        if self._threads() == 0 or not indices:
            return
        key = tuple(int(i) for i in indices)
        with self._lock:
            if key in self._pending:
                return
            if self._ahead is None:
                self._ahead = futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
            self._pending[key] = self._ahead.submit(self._batch, key)

    def images(self, indices: Sequence[int], device: torch.device) -> torch.Tensor:
        key = tuple(int(i) for i in indices)
        self._threads()  # a forked copy drops its parent's pending decodes
        with self._lock:
            pending = self._pending.pop(key, None)
        batch = pending.result() if pending is not None else self._batch(key)
        return batch.to(device, non_blocking=True)

    def texts(self, indices: Sequence[int], device: torch.device) -> Any:
        return to_device(self._tokenize([self.table.captions[int(i)] for i in indices]), device)

    def close(self) -> None:
        for pool in (self._ahead, self._pool):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self._ahead = self._pool = None
        self._pending.clear()


def one_file(config: dict[str, Any], split: str) -> Optional[str]:
    """A full model's split is ONE CSV/TSV file (config paths arrive absolute); None when absent."""
    value = config.get(split)
    if value is None:
        return None
    files = [value] if isinstance(value, str) else list(value)
    from .models.towers import config_file, resolve_path

    if len(files) != 1 or not isinstance(files[0], str):
        raise InputError(config_file(config), f'"{split}" for a full model is one CSV/TSV file of image paths and captions (got {len(files)} entries)')
    return resolve_path(config, files[0])


def read_splits(config: dict[str, Any]) -> tuple[Optional[Table], Table]:
    """
    The train (None for embedding) and eval tables of a resolved run config, read and checked before
    the model loads: a CSV missing its columns is reported in a second, not after a model's load.
    """
    from .models.towers import config_file

    columns = (str(config.get("imageColumn") or "filepath"), str(config.get("captionColumn") or "title"))
    train_file, eval_file = one_file(config, "train"), one_file(config, "eval")
    if eval_file is None:
        raise InputError(config_file(config), '"eval" names no CSV/TSV file of image paths and captions')
    train = read_table(train_file, *columns) if train_file is not None else None
    return train, read_table(eval_file, *columns)


def pair_sources(config: dict[str, Any], tables: tuple[Optional[Table], Table], preprocess: Preprocess, tokenize: Tokenize) -> tuple[Optional[CsvPairs], CsvPairs]:
    """The tables as PairSources decoding with the model's preprocess and tokenizer."""
    workers = int(config.get("workers") or 0)
    train, eval_ = tables
    return (CsvPairs(train, preprocess, tokenize, workers) if train is not None else None), CsvPairs(eval_, preprocess, tokenize, workers)
