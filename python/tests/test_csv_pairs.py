"""CSV/TSV image–caption datasets: parsing, the up-front image check, and batch loading."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures.datasets import make_dataset  # noqa: E402  (puts python/ on sys.path)

from embedding_lens.csv_pairs import CsvPairs, read_table  # noqa: E402
from embedding_lens.errors import InputError  # noqa: E402


def to_tensor(image: object) -> torch.Tensor:
    """A preprocess that keeps every pixel (so a test sees exactly which image was decoded)."""
    rgb = image.convert("RGB").resize((8, 8))  # type: ignore[attr-defined]
    return torch.frombuffer(bytearray(rgb.tobytes()), dtype=torch.uint8).view(8, 8, 3).permute(2, 0, 1).float()


def lengths(texts: list[str]) -> torch.Tensor:
    return torch.tensor([[len(t)] for t in texts])


def test_pairs_paths_relative_to_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    csv_file = make_dataset(tmp_path / "data", images=64)
    monkeypatch.chdir(tmp_path)  # paths resolve against the CSV's folder, not the cwd
    table = read_table(str(csv_file))
    assert len(table.image_paths) == 64 and len(table.captions) == 64
    assert table.image_paths[5] == str(tmp_path / "data" / "img" / "0005.png")
    assert table.captions_of == [[i] for i in range(64)] and table.text_image == list(range(64))
    assert table.warnings == []


def test_tsv_custom_columns_and_several_captions(tmp_path: Path) -> None:
    tsv = make_dataset(tmp_path, images=20, captions_per_image=3, name="pairs.tsv", columns=("image", "caption"))
    table = read_table(str(tsv), "image", "caption")
    assert len(table.image_paths) == 20 and len(table.captions) == 60
    assert table.captions_of[2] == [6, 7, 8]
    assert table.text_image[:7] == [0, 0, 0, 1, 1, 1, 2]
    assert table.captions[7].endswith(" 2 1")  # image 2's second caption, in row order


def test_missing_column_lists_the_columns_found(tmp_path: Path) -> None:
    csv_file = make_dataset(tmp_path, images=4, columns=("path", "text"))
    with pytest.raises(InputError) as err:
        read_table(str(csv_file))
    line = err.value.line()
    assert "'filepath' and 'title'" in line and "'path', 'text'" in line and "imageColumn" in line
    assert "\n" not in line


def test_a_few_bad_images_are_counted_named_and_skipped(tmp_path: Path) -> None:
    csv_file = make_dataset(tmp_path, images=64, missing=2, damaged=1)  # 3/64 = 4.7%
    table = read_table(str(csv_file))
    assert len(table.image_paths) == 61 and len(table.captions) == 61
    [warning] = table.warnings
    assert "skipped 3 of 64 rows (4.7%)" in warning
    assert "img/0063.png (missing)" in warning and "img/0062.png (missing)" in warning
    assert "img/0061.png (unreadable" in warning


def test_too_many_bad_images_refuse_the_dataset(tmp_path: Path) -> None:
    csv_file = make_dataset(tmp_path, images=64, missing=8)
    with pytest.raises(InputError) as err:
        read_table(str(csv_file))
    line = err.value.line()
    assert "8 of 64 rows (12.5%)" in line and "more than the 5% allowed" in line
    assert "img/0056.png (missing)" in line and "and 3 more" in line  # first five named


def test_all_bad_refused_even_when_few(tmp_path: Path) -> None:
    csv_file = make_dataset(tmp_path, images=1, missing=1)
    with pytest.raises(InputError, match="1 of 1 rows"):
        read_table(str(csv_file))


def test_empty_and_header_only(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("filepath,title\n")
    with pytest.raises(InputError, match="is empty"):
        read_table(str(tmp_path / "empty.csv"))
    with pytest.raises(InputError, match="no rows"):
        read_table(str(tmp_path / "header.csv"))


@pytest.mark.parametrize("workers", [0, 3])
def test_batches_decode_the_named_images(tmp_path: Path, workers: int) -> None:
    from PIL import Image

    csv_file = make_dataset(tmp_path, images=40, captions_per_image=2)
    source = CsvPairs(read_table(str(csv_file)), to_tensor, lengths, workers=workers)
    try:
        assert (source.n_images, source.n_texts) == (40, 80)
        source.prefetch([7, 8, 9])  # decoded in the background, collected by images()
        batch = source.images([7, 8, 9], torch.device("cpu"))
        again = source.images([3, 7], torch.device("cpu"))
        with Image.open(tmp_path / "img" / "0008.png") as im:
            direct = to_tensor(im)
        assert batch.shape == (3, 3, 8, 8) and torch.equal(batch[1], direct) and torch.equal(again[1], batch[0])
        texts = source.texts([0, 5], torch.device("cpu"))
        assert texts.tolist() == [[len(source.captions[0])], [len(source.captions[5])]]  # type: ignore[index]
    finally:
        source.close()


def test_an_image_damaged_after_the_check_names_its_file(tmp_path: Path) -> None:
    csv_file = make_dataset(tmp_path, images=8)
    source = CsvPairs(read_table(str(csv_file)), to_tensor, lengths, workers=0)
    (tmp_path / "img" / "0004.png").write_bytes(b"garbage")
    with pytest.raises(InputError) as err:
        source.images([3, 4], torch.device("cpu"))
    assert err.value.file.endswith("0004.png") and "cannot be decoded" in err.value.problem


class Batches(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """The trainer's way of reading a source: from DataLoader worker processes."""

    def __init__(self, source: CsvPairs) -> None:
        self.source = source

    def __len__(self) -> int:
        return 4

    def __getitem__(self, s: int) -> torch.Tensor:
        return self.source.images(range(4 * s, 4 * s + 4), torch.device("cpu"))


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_data_loader_workers_can_read_a_source_with_threads(tmp_path: Path, start: str) -> None:
    """A fork inherits thread pools without threads, spawn pickles the source: both must still decode."""
    csv_file = make_dataset(tmp_path, images=16)
    source = CsvPairs(read_table(str(csv_file)), to_tensor, lengths, workers=2)
    try:
        direct = source.images(range(16), torch.device("cpu"))  # the parent's pool exists now
        source.prefetch([0, 1])  # and a pending decode that a child must not wait for
        loader = torch.utils.data.DataLoader(Batches(source), batch_size=None, num_workers=1, timeout=60, multiprocessing_context=start)
        torch.testing.assert_close(torch.cat(list(loader)), direct)
    finally:
        source.close()
