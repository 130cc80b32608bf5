"""tensorfile.py: the embedding formats the TS readers take, their refusals, and the checkpoint writer."""
from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from embedding_lens.errors import InputError
from embedding_lens.tensorfile import read_embeddings, read_safetensors, write_safetensors
from safetensors_reader import read_file

PAIRS = np.arange(2 * 5 * 3, dtype=np.float32).reshape(2, 5, 3) / 7 + 0.5


def npy_bytes(a: np.ndarray, version: tuple[int, int] = (1, 0)) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, version=version)
    return buf.getvalue()


@pytest.mark.parametrize("array", [
    PAIRS, PAIRS.astype(np.float16), PAIRS.astype(np.float64), PAIRS.astype(">f4"), PAIRS.astype(">f8"), np.asfortranarray(PAIRS),
])
@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_npy_layouts(tmp_path: Path, array: np.ndarray, version: tuple[int, int]) -> None:
    (tmp_path / "p.npy").write_bytes(npy_bytes(array, version))
    e = read_embeddings([str(tmp_path / "p.npy")])
    want = array.astype(np.float32)
    assert np.array_equal(e.image.numpy(), want[0]) and np.array_equal(e.text.numpy(), want[1])


def test_two_files_and_the_partner_beside_one(tmp_path: Path) -> None:
    np.save(tmp_path / "val_txt.npy", PAIRS[1])
    np.save(tmp_path / "val_img.npy", PAIRS[0])
    for files in ([tmp_path / "val_txt.npy", tmp_path / "val_img.npy"], [tmp_path / "val_img.npy"]):
        e = read_embeddings([str(f) for f in files])
        assert np.array_equal(e.image.numpy(), PAIRS[0]) and np.array_equal(e.text.numpy(), PAIRS[1])


@pytest.mark.parametrize("names", [("image_embeds", "text_embeds"), ("image_features", "text_features"), ("img", "txt")])
@pytest.mark.parametrize("deflate", [False, True])
def test_npz_members_and_index(tmp_path: Path, names: tuple[str, str], deflate: bool) -> None:
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    save = np.savez_compressed if deflate else np.savez
    save(tmp_path / "s.npz", **{names[0]: x, names[1]: y, "text_to_image": np.array([0, 0, 1, 2, 2, 1], dtype=np.int64),
                                "captions": np.array(["a", "b", "c", "dé", "e", "f"])})
    e = read_embeddings([str(tmp_path / "s.npz")])
    assert e.text_to_image.tolist() == [0, 0, 1, 2, 2, 1]
    assert e.captions == ["a", "b", "c", "dé", "e", "f"]
    assert np.array_equal(e.text.numpy(), y)


def test_safetensors_dtypes_captions_and_round_trip(tmp_path: Path) -> None:
    x = torch.randn(4, 3)
    for dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        write_safetensors(str(tmp_path / "e.safetensors"), {"image_embeds": x.to(dtype), "text_embeds": x.to(dtype), "txt2img": torch.arange(4, dtype=torch.int32)},
                          {"captions": json.dumps(["a", "b", "c", "d"])})
        e = read_embeddings([str(tmp_path / "e.safetensors")])
        assert torch.equal(e.image, x.to(dtype).float()) and e.captions == ["a", "b", "c", "d"]
        assert e.text_to_image.tolist() == [0, 1, 2, 3]
    tensors, meta = read_file(tmp_path / "e.safetensors")
    assert tensors["txt2img"].dtype == np.int32 and json.loads(meta["captions"]) == ["a", "b", "c", "d"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    back, _ = read_safetensors(str(tmp_path / "e.safetensors"))
    assert torch.equal(back["text_embeds"], x.double().float())


def test_bad_rows_are_skipped_with_a_warning(tmp_path: Path) -> None:
    a = PAIRS.copy()
    a[0, 2] = np.nan
    a[1, 4] = 0
    np.save(tmp_path / "p.npy", a)
    e = read_embeddings([str(tmp_path / "p.npy")])
    assert e.image.shape == (3, 3)
    assert e.warnings == ["skipped 2 of 5 pairs with NaN/Inf or zero vectors (first: pair 2, counting from 0)"]


def safetensors_header(header: dict[str, object]) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text


def zip_with(name: str, data: bytes, method: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("name, content, problem", [
    ("a.npy", b"not numpy at all", "is not a numpy .npy array"),
    ("a.npy", npy_bytes(np.array([{"a": 1}], dtype=object)), "pickled Python objects"),
    ("a.npy", npy_bytes(PAIRS)[:-8], "truncated: header says (2, 5, 3) float32 = 120 bytes, file has 112 after the header"),
    ("a.npy", npy_bytes(PAIRS.astype(np.int32)), "embeddings must be floats"),
    ("a.npy", npy_bytes(PAIRS[:, :, :2].reshape(2, 5, 2, 1)), "which is neither (N, D) nor (2, N, D)"),
    ("a.npy", b"\x93NUMPY\x01\x00\x10\x00{'descr': __import__('os')}", "has an invalid .npy header"),
    ("a.npz", zip_with("../evil.npy", npy_bytes(PAIRS)), "unsafe path"),
    ("a.npz", b"PK\x03\x04 junk", "not a zip archive"),
    ("a.npz", zip_with("x.npy", npy_bytes(PAIRS), zipfile.ZIP_BZIP2), "compression method 12"),
    ("a.safetensors", struct.pack("<Q", 1 << 40) + b"{}", "absurd safetensors header length"),
    ("a.safetensors", struct.pack("<Q", 2) + b"[]", "safetensors header is not a JSON object"),
    ("a.safetensors", safetensors_header({"img": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}) + b"\0" * 8, "running past the end"),
    ("a.safetensors", safetensors_header({"img": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 8]}}) + b"\0" * 8, "span 8"),
    ("a.txt", b"", "unknown file type '.txt'"),
])
def test_bad_files_are_one_line(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_embeddings([str(tmp_path / name)])
    assert caught.value.file == str(tmp_path / name)
    assert problem in caught.value.problem
    assert "\n" not in caught.value.line()


def test_mismatches_between_modalities(tmp_path: Path) -> None:
    np.savez(tmp_path / "m.npz", image_embeds=PAIRS[0], text_embeds=PAIRS[1][:4])
    with pytest.raises(InputError, match="mismatched pair counts: 5 images, 4 texts"):
        read_embeddings([str(tmp_path / "m.npz")])
    np.savez(tmp_path / "i.npz", image_embeds=PAIRS[0], text_embeds=PAIRS[1], text_to_image=np.array([0, 1, 2, 3, 9]))
    with pytest.raises(InputError, match="maps text 4 to image 9, outside 0..4"):
        read_embeddings([str(tmp_path / "i.npz")])
