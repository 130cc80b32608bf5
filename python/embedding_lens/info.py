"""`python -m embedding_lens info`: the interpreter, torch and its devices, as one JSON line (see python/README.md)."""
from __future__ import annotations

import importlib.util
import json
import platform
import re
import sys
from typing import Any, Optional

MIN_TORCH = (1, 13)


def version_of(package: str) -> Optional[str]:
    """An optional package's version without importing it (transformers takes seconds to import)."""
    if importlib.util.find_spec(package) is None:
        return None
    from importlib import metadata

    names = {"open_clip": "open_clip_torch"}
    try:
        return metadata.version(names.get(package, package))
    except metadata.PackageNotFoundError:
        return "unknown"


def describe() -> dict[str, Any]:
    base: dict[str, Any] = {"executable": sys.executable}
    try:
        import torch
    except ImportError as err:
        return {"ok": False, **base, "problem": f"torch is not installed ({err}; pip install torch)"}
    release = tuple(int(p) for p in re.findall(r"\d+", torch.__version__)[:2])
    if release < MIN_TORCH:
        return {"ok": False, **base, "problem": f"torch {torch.__version__} is too old: the torch engine needs 1.13 or newer (pip install -U torch)"}
    cuda = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            cuda.append({"index": i, "name": p.name, "memory_bytes": p.total_memory})
    mps = getattr(torch.backends, "mps", None)
    import torch.distributed as dist

    from .distributed import use_cpu_cores

    use_cpu_cores(1)  # the threads a one-process run on the CPU computes with

    available = dist.is_available()
    return {
        "ok": True,
        "python": platform.python_version(),
        **base,
        "torch": torch.__version__,
        "cuda": cuda,
        "mps": bool(mps is not None and mps.is_available()),
        "cpu_threads": torch.get_num_threads(),
        "gloo": bool(available and dist.is_gloo_available()),
        "nccl": bool(available and dist.is_nccl_available()),
        "open_clip": version_of("open_clip"),
        "transformers": version_of("transformers"),
    }


def main() -> int:
    try:
        result = describe()
    except Exception as err:  # noqa: BLE001 - a broken torch install is an answer, not a crash
        result = {"ok": False, "executable": sys.executable, "problem": f"torch fails to load ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); reinstall it"}
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0
