"""The torch engine reads torch.save files in the layouts the TypeScript reader takes, and refuses code."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from embedding_lens.errors import InputError
from embedding_lens.tensorfile import read_embeddings


def unit(n: int, d: int, seed: int) -> torch.Tensor:
    return torch.nn.functional.normalize(torch.randn(n, d, generator=torch.Generator().manual_seed(seed)), dim=1)


X, Y = unit(10, 8, 1), unit(10, 8, 2)


def test_a_dict_with_captions_and_a_transposed_tensor(tmp_path: Path) -> None:
    torch.save({"image_features": X, "text_features": Y.T.contiguous().T, "captions": [f"c{i}" for i in range(10)]}, tmp_path / "a.pt")
    e = read_embeddings([str(tmp_path / "a.pt")])
    assert torch.equal(e.image, X) and torch.equal(e.text, Y)
    assert e.captions == [f"c{i}" for i in range(10)]


@pytest.mark.parametrize("layout", ["stacked", "pair"])
def test_a_stacked_tensor_or_a_pair(tmp_path: Path, layout: str) -> None:
    torch.save(torch.stack([X, Y]) if layout == "stacked" else (X, Y), tmp_path / "b.pth")
    e = read_embeddings([str(tmp_path / "b.pth")])
    assert torch.equal(e.image, X) and torch.equal(e.text, Y)


class Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch should-not-exist",))


def test_a_pickled_global_is_refused_in_one_line_and_never_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    torch.save({"image_features": X, "payload": Payload()}, tmp_path / "evil.pt")
    with pytest.raises(InputError) as refused:
        read_embeddings([str(tmp_path / "evil.pt")])
    assert "system" in refused.value.problem and "\n" not in str(refused.value)
    assert not (tmp_path / "should-not-exist").exists()
