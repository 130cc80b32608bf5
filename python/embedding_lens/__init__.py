"""Embedding Lens's torch engine: m²-Mix fine-tuning, metrics and embedding on PyTorch (see python/README.md)."""
