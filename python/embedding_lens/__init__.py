"""Embedding Lens's torch engine: m²-Mix fine-tuning, metrics and embedding on PyTorch (see python/README.md)."""
import os

# Before torch loads OpenMP: its idle threads otherwise spin beside the BLAS's own threads, and on
# a CPU the analysis pass ran 1.7x slower for it (python/README.md). A value the user set stays.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
