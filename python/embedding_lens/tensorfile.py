"""
Embedding files, read as src/core/readers reads them: .npy (versions 1-3), .npz (stored or
deflated zip of .npy members) and .safetensors, one file holding both modalities or two files
(image, text). Hostile input (pickles, zip bombs, lying headers) is refused in one line, never
unpickled or inflated past its declared size. Plus the atomic safetensors writer of checkpoints.
"""
from __future__ import annotations

import ast
import ctypes
import json
import math
import mmap
import os
import re
import secrets
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import torch

from .errors import InputError

IMAGE_KEYS = ["image_embeds", "image_features", "image_embeddings", "img_embeds", "image", "img"]
TEXT_KEYS = ["text_embeds", "text_features", "text_embeddings", "txt_embeds", "text", "txt"]
INDEX_KEYS = ["text_to_image", "txt2img", "img_ids", "image_index"]
CAPTION_KEYS = ["captions", "caption", "texts"]

#: The most bytes one .npz member may inflate to; more is refused as a zip bomb (the TS readers' default).
NPZ_MEMBER_BUDGET = 512 * 1024 * 1024
#: numpy (np.load's max_header_size) refuses longer .npy headers.
NPY_MAX_HEADER = 10_000
SAFETENSORS_MAX_HEADER = 100 * 1024 * 1024

FLOAT_TYPES = {"float16", "bfloat16", "float32", "float64"}
INT_TYPES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
STRING_TYPES = {"str", "bytes"}

#: Same-sized torch dtype that holds each element's bits (unsigned ones are widened after reading).
_TORCH_BITS: dict[str, torch.dtype] = {
    "float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64,
    "int8": torch.int8, "uint8": torch.uint8, "int16": torch.int16, "uint16": torch.int16,
    "int32": torch.int32, "uint32": torch.int32, "int64": torch.int64, "uint64": torch.int64, "bool": torch.uint8,
}

SAFETENSORS_TYPES: dict[str, tuple[str, int]] = {
    "F16": ("float16", 2), "BF16": ("bfloat16", 2), "F32": ("float32", 4), "F64": ("float64", 8),
    "I8": ("int8", 1), "I16": ("int16", 2), "I32": ("int32", 4), "I64": ("int64", 8),
    "U8": ("uint8", 1), "U16": ("uint16", 2), "U32": ("uint32", 4), "U64": ("uint64", 8), "BOOL": ("bool", 1),
}
_SAFETENSORS_OF_TORCH: dict[torch.dtype, str] = {
    torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64",
    torch.int32: "I32", torch.int64: "I64",
}


@dataclass
class ElementType:
    name: str
    size: int
    big_endian: bool = False


@dataclass
class ArraySource:
    """One array of a file: its header now, its data on demand."""

    name: str
    shape: list[int]
    dtype: str
    load: Callable[[], torch.Tensor]
    load_strings: Optional[Callable[[], list[str]]] = None


@dataclass
class Opened:
    format: str
    arrays: list[ArraySource]
    metadata: Optional[dict[str, str]] = None


@dataclass
class Embeddings:
    """A split's embeddings (readers' Checkpoint): float32 (N, D) rows, paired by row unless text_to_image says otherwise."""

    files: list[str]
    image: torch.Tensor
    text: torch.Tensor
    text_to_image: Optional[torch.Tensor] = None
    captions: Optional[list[str]] = None
    metadata: Optional[dict[str, str]] = None
    warnings: list[str] = field(default_factory=list)
    #: The image rows as the file holds them, when pairs were skipped (a classification set's labels follow these).
    image_as_read: Optional[torch.Tensor] = None


def shape_text(shape: list[int]) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else f"({', '.join(str(d) for d in shape)})"


def _count(shape: list[int]) -> int:
    return math.prod(shape) if shape else 1


# --- decoding -------------------------------------------------------------------------------------

def npy_element_type(descr: str) -> Optional[ElementType]:
    """numpy's descr ('<f4', '>i8', '<U40'); None for an object array (a pickle)."""
    m = re.fullmatch(r"([<>|=]?)([a-zA-Z])(\d*)", descr)
    if m and m.group(2) == "O":
        return None
    big = bool(m) and m.group(1) == ">"
    if m and m.group(2) in "US" and m.group(3) and int(m.group(3)) > 0:
        unicode = m.group(2) == "U"
        return ElementType("str" if unicode else "bytes", int(m.group(3)) * (4 if unicode else 1), big)
    kinds = {"f": "float", "i": "int", "u": "uint", "b": "bool"}
    size = int(m.group(3)) if m and m.group(3) else 0
    if not m or m.group(2) not in kinds or size <= 0:
        return ElementType(descr, max(size, 1))
    kind = kinds[m.group(2)]
    return ElementType("bool" if kind == "bool" else f"{kind}{size * 8}", size, big)


def decode_elements(data: bytes, t: ElementType, count: int, file: str, what: str) -> torch.Tensor:
    """Floats as float32, integers as int64 (only indices are integers), from `count` elements of `data`."""
    if t.name not in FLOAT_TYPES and t.name not in INT_TYPES:
        raise InputError(file, f"{what} has dtype {t.name}, which Embedding Lens cannot read")
    if count == 0:
        return torch.zeros(0, dtype=torch.float32 if t.name in FLOAT_TYPES else torch.int64)
    raw = _bytes_tensor(data[: count * t.size])
    if t.big_endian != (sys.byteorder == "big") and t.size > 1:
        raw = raw.view(-1, t.size).flip(1).reshape(-1)
    bits = raw.view(_TORCH_BITS[t.name])
    if t.name in FLOAT_TYPES:
        out = bits.to(torch.float32)
        if t.name == "float64":
            beyond = torch.isinf(out) & torch.isfinite(bits)
            if bool(beyond.any()):
                v = float(bits[beyond.nonzero()[0, 0]])
                raise InputError(file, f"{what} holds the float64 value {v}, beyond float32's range (±3.4e38) in which the metrics are computed; scale the embeddings down")
        return out
    out = bits.to(torch.int64)
    if t.name in ("uint16", "uint32"):
        out = out & ((1 << (8 * t.size)) - 1)
    bad = ((out < -0x80000000) | (out > 0x7FFFFFFF)).nonzero()
    if t.name == "uint64":
        bad = torch.cat([bad, (out < 0).nonzero()])
    if len(bad):
        i = int(bad[:, 0].min())
        value = int(out[i]) % (1 << 64) if t.name == "uint64" else int(out[i])
        raise InputError(file, f"{what} holds {value} at position {i}, beyond the int32 range of an index")
    return out


def _fortran_to_row_major(flat: torch.Tensor, shape: list[int]) -> torch.Tensor:
    if len(shape) < 2:
        return flat
    return flat.reshape(list(reversed(shape))).permute(*reversed(range(len(shape)))).contiguous().reshape(-1)


# --- .npy -----------------------------------------------------------------------------------------

@dataclass
class NpyHeader:
    type: ElementType
    fortran_order: bool
    shape: list[int]
    data_offset: int


def _subject(member: Optional[str]) -> str:
    return "the file" if member is None else f"member '{member}'"


def parse_npy_header(data: bytes, file: str, member: Optional[str] = None) -> NpyHeader:
    what = _subject(member)
    if len(data) < 10 or data[:6] != b"\x93NUMPY":
        raise InputError(file, f"{what} is not a numpy .npy array (it does not start with \\x93NUMPY)")
    major = data[6]
    if major not in (1, 2, 3):
        raise InputError(file, f"{what} has .npy format version {major}.{data[7]}, which is not 1.0, 2.0 or 3.0")
    preamble = 10 if major == 1 else 12
    if len(data) < preamble:
        raise InputError(file, f"truncated: {what} ends inside its .npy header")
    length = struct.unpack_from("<H" if major == 1 else "<I", data, 8)[0]
    if length > NPY_MAX_HEADER:
        raise InputError(file, f"{what} declares a {length}-byte .npy header; like numpy, Embedding Lens refuses headers over {NPY_MAX_HEADER} bytes")
    end = preamble + length
    if len(data) < end:
        raise InputError(file, f"truncated: {what} ends inside its .npy header")
    text = bytes(data[preamble:end]).decode("utf-8" if major == 3 else "latin-1")

    def bad(problem: str) -> InputError:
        return InputError(file, f"{what} has an invalid .npy header: {problem}")

    try:
        # literal_eval evaluates literals only: no names, calls or attributes.
        header = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError) as err:
        raise bad(f"not a Python literal ({type(err).__name__})") from None
    if not isinstance(header, dict):
        raise bad("not a dict")
    descr, fortran, shape = header.get("descr"), header.get("fortran_order"), header.get("shape")
    if isinstance(descr, list):
        raise InputError(file, f"{what} is a structured array (record dtype), not a plain numeric array")
    if not isinstance(descr, str):
        raise bad("'descr' is missing or not a string")
    if not isinstance(fortran, bool):
        raise bad("'fortran_order' is missing or not True/False")
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise bad("'shape' is missing or not a tuple of non-negative integers")
    t = npy_element_type(descr)
    if t is None:
        raise InputError(file, f"{what} holds pickled Python objects (dtype '{descr}'); pickled object arrays are refused, not unpickled")
    return NpyHeader(t, fortran, list(shape), end)


def _check_length(h: NpyHeader, available: int, file: str, member: Optional[str]) -> None:
    need = _count(h.shape) * h.type.size
    if available >= need:
        return
    where, unit = ("", "file") if member is None else (f" member '{member}'", "member")
    raise InputError(file, f"truncated{where}: header says {shape_text(h.shape)} {h.type.name} = {need} bytes, {unit} has {available} after the header")


def decode_npy(h: NpyHeader, data: bytes, file: str, member: Optional[str] = None) -> torch.Tensor:
    """The array after the header (data starts at the header's end), row-major, shaped."""
    what = _subject(member)
    if h.type.name not in FLOAT_TYPES and h.type.name not in INT_TYPES:
        raise InputError(file, f"{what} has dtype {h.type.name}, which Embedding Lens cannot read (it reads floats, and integers as an index)")
    _check_length(h, len(data), file, member)
    flat = decode_elements(data, h.type, _count(h.shape), file, what)
    if h.fortran_order:
        flat = _fortran_to_row_major(flat, h.shape)
    return flat.reshape(h.shape)


def decode_npy_strings(h: NpyHeader, data: bytes, file: str, member: Optional[str] = None) -> list[str]:
    what = _subject(member)
    if h.type.name not in STRING_TYPES or len(h.shape) != 1:
        raise InputError(file, f"{what} is not a 1-D array of strings (dtype {h.type.name}, shape {shape_text(h.shape)}), so it cannot label the texts")
    _check_length(h, len(data), file, member)
    out: list[str] = []
    for k in range(h.shape[0]):
        chunk = bytes(data[k * h.type.size:(k + 1) * h.type.size])
        if h.type.name == "bytes":
            out.append(chunk.split(b"\0", 1)[0].decode("utf-8", errors="replace"))
            continue
        codes = struct.unpack((">" if h.type.big_endian else "<") + f"{len(chunk) // 4}I", chunk)
        text = []
        for code in codes:
            if code == 0:
                break
            if code > 0x10FFFF:
                raise InputError(file, f"{what} holds an invalid code point (0x{code:x}) in string {k}")
            text.append(chr(code))
        out.append("".join(text))
    return out


def _npy_source(name: str, data: bytes, file: str, member: Optional[str]) -> ArraySource:
    h = parse_npy_header(data, file, member)
    body = data[h.data_offset:]
    strings = h.type.name in STRING_TYPES
    return ArraySource(
        name, h.shape, h.type.name,
        load=lambda: decode_npy(h, body, file, member),
        load_strings=(lambda: decode_npy_strings(h, body, file, member)) if strings else None,
    )


def open_npy(file: str) -> Opened:
    return Opened("npy", [_npy_source("array", _map_file(file), file, None)])


# --- .npz -----------------------------------------------------------------------------------------

def _unsafe_path(name: str) -> bool:
    return name.startswith("/") or name.startswith("\\") or re.match(r"^[A-Za-z]:", name) is not None or ".." in re.split(r"[\\/]", name)


def open_npz(file: str, budget: int = NPZ_MEMBER_BUDGET) -> Opened:
    def damaged(err: Exception) -> InputError:
        return InputError(file, f"damaged or truncated zip archive: {err}")

    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise InputError(file, "not a zip archive, or a truncated one (no end-of-central-directory record)") from None
    except OSError as err:
        raise InputError(file, f"cannot read ({err.strerror or err})") from None
    arrays: list[ArraySource] = []
    with archive:
        seen: set[str] = set()
        for info in archive.infolist():
            name = info.filename
            if _unsafe_path(name):
                raise InputError(file, f"member '{name}' has an unsafe path (absolute or containing '..'); the archive is refused")
            if name in seen:
                raise InputError(file, f"member '{name}' appears twice in the zip directory; the archive is refused")
            seen.add(name)
            if info.flag_bits & 1:
                raise InputError(file, f"member '{name}' is encrypted")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise InputError(file, f"member '{name}' uses zip compression method {info.compress_type}; only stored and deflated members are read")
            if not name.endswith(".npy"):
                continue
            if info.file_size > budget:
                raise InputError(file, f"member '{name}' declares {info.file_size} bytes uncompressed, over the memory budget of {budget} bytes; refused as a possible zip bomb")
            try:
                # zipfile stops at the declared size and checks the CRC-32.
                data = archive.read(info)
            except zipfile.BadZipFile as err:
                raise InputError(file, f"member '{name}' is corrupt ({err})") from None
            except (zlib.error, EOFError, OSError) as err:
                raise damaged(err) from None
            arrays.append(_npy_source(name[: -len(".npy")], data, file, name))
    return Opened("npz", arrays)


# --- .safetensors ---------------------------------------------------------------------------------

def open_safetensors(file: str, mapped: bool = True) -> Opened:
    data = _map_file(file) if mapped else _read_all(file)
    if len(data) < 8:
        raise InputError(file, f"too short to be a safetensors file ({len(data)} bytes)")
    header_length = struct.unpack_from("<Q", data, 0)[0]
    if header_length > min(SAFETENSORS_MAX_HEADER, len(data) - 8):
        raise InputError(file, f"absurd safetensors header length {header_length} bytes (the file has {len(data)}); not a safetensors file, or a damaged one")
    start = 8 + header_length
    data_length = len(data) - start
    try:
        header = json.loads(bytes(data[8:start]).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise InputError(file, f"safetensors header is not valid JSON ({err})") from None
    if not isinstance(header, dict):
        raise InputError(file, "safetensors header is not a JSON object")
    metadata: Optional[dict[str, str]] = None
    entries: list[tuple[str, str, list[int], int, int]] = []
    for name, value in header.items():
        if name == "__metadata__":
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                raise InputError(file, "__metadata__ is not a map of strings to strings")
            metadata = dict(value)
            continue
        entries.append(_tensor_entry(file, name, value, data_length))
    ordered = sorted((e for e in entries if e[4] > e[3]), key=lambda e: e[3])
    for a, b in zip(ordered, ordered[1:]):
        if b[3] < a[4]:
            raise InputError(file, f"tensors '{a[0]}' and '{b[0]}' overlap in the data section")

    def source(name: str, dtype: str, shape: list[int], begin: int, end: int) -> ArraySource:
        known = SAFETENSORS_TYPES.get(dtype)

        def load() -> torch.Tensor:
            if known is None:
                raise InputError(file, f"tensor '{name}' has dtype {dtype}, which Embedding Lens cannot read")
            t = ElementType(known[0], known[1])
            return decode_elements(data[start + begin:start + end], t, _count(shape), file, f"tensor '{name}'").reshape(shape)

        return ArraySource(name, shape, known[0] if known else dtype, load)

    return Opened("safetensors", [source(*e) for e in entries], metadata)


def _tensor_entry(file: str, name: str, value: object, data_length: int) -> tuple[str, str, list[int], int, int]:
    def bad(problem: str) -> InputError:
        return InputError(file, f"tensor '{name}' {problem}")

    def is_count(v: object) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    if not isinstance(value, dict):
        raise bad("has no dtype/shape/data_offsets entry")
    dtype, shape, offsets = value.get("dtype"), value.get("shape"), value.get("data_offsets")
    if not isinstance(dtype, str):
        raise bad("has no dtype")
    if not isinstance(shape, list) or not all(is_count(d) for d in shape):
        raise bad("has a shape that is not a list of non-negative integers")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(is_count(o) for o in offsets) or offsets[0] > offsets[1]:
        raise bad("has data_offsets that are not [begin, end] with begin <= end")
    begin, end = offsets
    if end > data_length:
        raise bad(f"has data_offsets [{begin}, {end}] running past the end of the file (the data section has {data_length} bytes)")
    known = SAFETENSORS_TYPES.get(dtype)
    if known and end - begin != _count(shape) * known[1]:
        raise bad(f"has shape {shape_text(shape)} {dtype} = {_count(shape) * known[1]} bytes, but data_offsets [{begin}, {end}] span {end - begin}")
    return name, dtype, shape, begin, end


def captions_from_metadata(file: str, metadata: Optional[dict[str, str]]) -> Optional[list[str]]:
    raw = (metadata or {}).get("captions")
    if raw is None:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, list) or not all(isinstance(c, str) for c in parsed):
        raise InputError(file, "__metadata__ 'captions' is not a JSON array of strings")
    return parsed


# --- which arrays -------------------------------------------------------------------------------

def _read_all(file: str) -> bytes:
    try:
        return Path(file).read_bytes()
    except OSError as err:
        raise InputError(file, f"cannot read ({err.strerror or err})") from None


def _map_file(file: str) -> "bytes | memoryview":
    """
    The file mapped copy-on-write (pages are read when touched, once, and shared with the page cache
    and the other ranks), so a float32 array is a view of the file, not a copy; an empty file or one
    that cannot be mapped is read whole.
    """
    try:
        with open(file, "rb") as f:
            return memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY))
    except (ValueError, OSError):
        return _read_all(file)


def _bytes_tensor(data: "bytes | memoryview") -> torch.Tensor:
    """uint8 over `data`: a view of a mapped (writable) file, a copy of read-only bytes."""
    if isinstance(data, memoryview) and not data.readonly and len(data):
        return torch.frombuffer(data, dtype=torch.uint8)
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


def open_pt(file: str) -> Opened:
    from .pt_file import pt_arrays

    def source(name: str, value: object) -> ArraySource:
        if isinstance(value, torch.Tensor):
            dtype = str(value.dtype).replace("torch.", "")
            return ArraySource(name, list(value.shape), dtype, load=lambda: value.contiguous())
        strings = list(value)  # type: ignore[call-overload]
        return ArraySource(name, [len(strings)], "str", load=lambda: torch.empty(0), load_strings=lambda: strings)

    return Opened("pt", [source(name, value) for name, value in pt_arrays(file).items()])


def open_file(file: str) -> Opened:
    ext = os.path.splitext(file)[1].lower()
    openers = {".npy": open_npy, ".npz": open_npz, ".safetensors": open_safetensors, ".pt": open_pt, ".pth": open_pt}
    if ext not in openers:
        raise InputError(file, f"unknown file type '{ext or '(none)'}': the torch engine reads .npy, .npz, .safetensors and .pt/.pth (the tfjs engine also reads Parquet, Arrow and folders)")
    return openers[ext](file)


def name_list(names: list[str], separator: str = ", ") -> str:
    if len(names) <= 10:
        return separator.join(names)
    return f"{separator.join(names[:10])}{separator}… and {len(names) - 10:,} more"


def modality_of(name: str) -> Optional[str]:
    base = os.path.basename(name)
    image = re.search(r"image|img", base, re.IGNORECASE) is not None
    text = re.search(r"text|txt", base, re.IGNORECASE) is not None
    return None if image == text else "image" if image else "text"


def _in_case_of(original: str, word: str) -> str:
    if original == original.upper():
        return word.upper()
    if original[0] == original[0].upper():
        return word[0].upper() + word[1:]
    return word


def find_pair_file(file: str) -> Optional[str]:
    """For foo_image.npy, an existing foo_text.npy or foo_txt.npy beside it (and the reverse)."""
    folder, base = os.path.dirname(file), os.path.basename(file)
    modality = modality_of(base)
    if modality is None:
        return None
    words = r"image|img" if modality == "image" else r"text|txt"
    partners = ["text", "txt"] if modality == "image" else ["image", "img"]
    # Where the word occurs twice, the last one is more likely the modality.
    for hit in reversed(list(re.finditer(words, base, re.IGNORECASE))):
        for partner in partners:
            candidate = os.path.join(folder, base[: hit.start()] + _in_case_of(hit.group(0), partner) + base[hit.end():])
            if os.path.isfile(candidate):
                return candidate
    return None


def _by_keys(arrays: list[ArraySource], keys: list[str]) -> Optional[ArraySource]:
    for key in keys:
        for a in arrays:
            if a.name.lower() == key.lower():
                return a
    return None


@dataclass
class Located:
    file: str
    label: str
    array: torch.Tensor
    dtype: str


@dataclass
class Loaded:
    file: str
    image: Optional[Located] = None
    text: Optional[Located] = None
    single: Optional[Located] = None
    index: Optional[Located] = None
    metadata: Optional[dict[str, str]] = None
    captions: Optional[list[str]] = None


def _load_selection(file: str, image_keys: Sequence[str] = (), text_keys: Sequence[str] = ()) -> Loaded:
    opened = open_file(file)
    labels = {"npy": lambda n: "the array", "npz": lambda n: f"member '{n}.npy'", "safetensors": lambda n: f"tensor '{n}'", "pt": lambda n: f"entry '{n}'"}

    def load(a: Optional[ArraySource]) -> Optional[Located]:
        return a and Located(file, labels[opened.format](a.name), a.load(), a.dtype)

    arrays = [a for a in opened.arrays if a.dtype not in STRING_TYPES]
    strings = [a for a in opened.arrays if a.dtype in STRING_TYPES]
    if not arrays and strings:
        held = name_list([f"'{a.name}', {a.dtype} {shape_text(a.shape)}" for a in strings], "; ")
        raise InputError(file, f"holds only strings ({held}), no embeddings")
    caption_source = _by_keys(strings, CAPTION_KEYS)
    index = _by_keys(arrays, INDEX_KEYS)
    image_keys, text_keys = [*image_keys, *IMAGE_KEYS], [*text_keys, *TEXT_KEYS]
    image = _by_keys(arrays, image_keys)
    text = _by_keys(arrays, text_keys)
    if image and text is image:
        raise InputError(file, f"the image and text keys both name '{image.name}': the two modalities must be different arrays")
    single: Optional[ArraySource] = None
    if (image is None) != (text is None):
        found, missing, keys = (image, "text", text_keys) if image else (text, "image", image_keys)
        raise InputError(file, f"has '{found.name}' but no {missing} array (looked for {', '.join(keys)}; set the {missing} keys to name yours)")
    if image is None:
        rest = [a for a in arrays if a is not index]
        pair = [modality_of(r.name) for r in rest] if len(rest) == 2 else []
        if len(rest) == 1:
            single = rest[0]
        elif len(pair) == 2 and pair[0] and pair[1] and pair[0] != pair[1]:
            image, text = (rest[0], rest[1]) if pair[0] == "image" else (rest[1], rest[0])
        else:
            held = f"it holds {name_list([a.name for a in arrays])}" if arrays else "it holds no arrays"
            raise InputError(file, f"no image/text embeddings found: {held} (looked for {'/'.join(image_keys)} and {'/'.join(text_keys)}; set the image/text keys to name yours)")
    captions = captions_from_metadata(file, opened.metadata)
    if captions is None and caption_source is not None and caption_source.load_strings is not None:
        captions = caption_source.load_strings()
    return Loaded(file, load(image), load(text), load(single), load(index), opened.metadata, captions)


# --- checks ---------------------------------------------------------------------------------------

def _split_stacked(s: Located) -> tuple[Located, Located]:
    shape = list(s.array.shape)
    if len(shape) == 2:
        raise InputError(s.file, f"{s.label} has shape {shape_text(shape)}: one modality only, and no file with the other one was found beside it (name them *image*/*img* and *text*/*txt*, or open both)")
    if len(shape) != 3 or shape[0] != 2:
        raise _shape_error(s)
    return (Located(s.file, f"image embeddings ({s.label}[0])", s.array[0], s.dtype),
            Located(s.file, f"text embeddings ({s.label}[1])", s.array[1], s.dtype))


def _shape_error(e: Located) -> InputError:
    return InputError(e.file, f"{e.label} has shape {shape_text(list(e.array.shape))}, which is neither (N, D) nor (2, N, D)")


def _embeddings(e: Located) -> torch.Tensor:
    if e.dtype not in FLOAT_TYPES:
        raise InputError(e.file, f"{e.label} has dtype {e.dtype}; embeddings must be floats (integers are read only as a text-to-image index)")
    if e.array.dim() != 2:
        raise _shape_error(e)
    if e.array.shape[0] == 0 or e.array.shape[1] == 0:
        raise InputError(e.file, f"{e.label} is empty: shape {shape_text(list(e.array.shape))}")
    return e.array.contiguous()


def bad_rows(m: torch.Tensor) -> torch.Tensor:
    """Rows no metric can use: NaN/Inf, or all zeros (no direction)."""
    return ~torch.isfinite(m).all(1) | (m == 0).all(1)


def _check_index(index: Located, images: int, texts: int) -> torch.Tensor:
    a = index.array
    if index.dtype not in INT_TYPES:
        raise InputError(index.file, f"{index.label} (the text-to-image index) has dtype {index.dtype}; it must hold integers")
    if a.dim() != 1 or a.shape[0] != texts:
        raise InputError(index.file, f"{index.label} (the text-to-image index) has shape {shape_text(list(a.shape))}; it needs one entry per text, ({texts},)")
    outside = ((a < 0) | (a >= images)).nonzero()
    if len(outside):
        k = int(outside[0, 0])
        raise InputError(index.file, f"{index.label} (the text-to-image index) maps text {k} to image {int(a[k])}, outside 0..{images - 1}")
    return a.to(torch.int64)


def _build(files: list[str], image_part: Located, text_part: Located, index: Optional[Located],
           metadata: Optional[dict[str, str]], captions: Optional[list[str]]) -> Embeddings:
    image, text = _embeddings(image_part), _embeddings(text_part)
    where = image_part.file if image_part.file == text_part.file else f"{image_part.file} + {text_part.file}"
    if image.shape[1] != text.shape[1]:
        raise InputError(where, f"mismatched embedding sizes: images have {image.shape[1]} dimensions, texts {text.shape[1]}")
    if captions is not None and len(captions) != text.shape[0]:
        raise InputError(text_part.file, f"{len(captions)} captions for {text.shape[0]} texts")
    if index is not None:
        text_to_image = _check_index(index, image.shape[0], text.shape[0])
        for part, m, kind in ((image_part, image, "image"), (text_part, text, "text")):
            bad = bad_rows(m).nonzero()
            if len(bad):
                raise InputError(part.file, f"{kind} row {int(bad[0, 0])} has NaN/Inf values or is all zeros; rows cannot be skipped when a text-to-image index refers to them")
        return Embeddings(files, image, text, text_to_image, captions, metadata)
    if image.shape[0] != text.shape[0]:
        raise InputError(where, f"mismatched pair counts: {image.shape[0]} images, {text.shape[0]} texts")
    bad = bad_rows(image) | bad_rows(text)
    skipped = int(bad.sum())
    if skipped == 0:
        return Embeddings(files, image, text, None, captions, metadata)
    if skipped == image.shape[0]:
        raise InputError(where, f"all {image.shape[0]} pairs have NaN/Inf or all-zero vectors")
    keep = (~bad).nonzero()[:, 0]
    warning = f"skipped {skipped} of {image.shape[0]} pairs with NaN/Inf or zero vectors (first: pair {int(bad.nonzero()[0, 0])}, counting from 0)"
    kept_captions = [captions[int(i)] for i in keep] if captions is not None else None
    return Embeddings(files, image[keep], text[keep], None, kept_captions, metadata, [warning], image)


def _one_modality(loaded: Loaded) -> Located:
    s = loaded.single
    if s is None or s.array.dim() != 2:
        shape = f" (shape {shape_text(list(s.array.shape))})" if s is not None else ""
        raise InputError(loaded.file, f"holds more than one modality{shape}; give it alone, or give two files that hold one (N, D) array each")
    return s


def read_embeddings(files: list[str], image_keys: Sequence[str] = (), text_keys: Sequence[str] = ()) -> Embeddings:
    """
    One file holding both modalities (or one whose partner file sits beside it), or [image, text];
    the keys name the arrays to take before the usual names (the CLI's --image-key/--text-key).
    """
    if not 1 <= len(files) <= 2:
        raise InputError(", ".join(files) or "(no file)", "give one file holding both modalities, or two files (image, text)")
    first = _load_selection(files[0], image_keys, text_keys)
    second: Optional[Loaded] = None
    if len(files) == 2:
        second = _load_selection(files[1], image_keys, text_keys)
    elif first.single is not None and first.single.array.dim() == 2:
        partner = find_pair_file(files[0])
        if partner:
            second = _load_selection(partner, image_keys, text_keys)
    if second is None:
        image, text = (first.image, first.text) if first.image is not None else _split_stacked(first.single)
        return _build(files, image, text, first.index, first.metadata, first.captions)
    a, b = first, second
    ma, mb = modality_of(a.file), modality_of(b.file)
    if (ma == "text" and mb != "text") or (mb == "image" and ma != "image"):
        a, b = b, a
    return _build([first.file, second.file], _one_modality(a), _one_modality(b), b.index or a.index,
                  b.metadata or a.metadata, b.captions)


# --- writing --------------------------------------------------------------------------------------

#: writers/atomic.ts's temp names, so either engine recognises (and clears) the other's abandoned ones.
TEMP_NAME = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$")


def temp_name_for(file: str) -> str:
    return os.path.join(os.path.dirname(file), f".{os.path.basename(file)}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def write_atomic(file: str, write: Callable[[str], None]) -> None:
    """`write(temp)` fills a temp file beside `file`, which is then synced and renamed over it."""
    tmp = temp_name_for(file)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, file)
    except OSError as err:
        raise InputError(file, f"cannot write ({err.strerror or err})") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def tensor_bytes(t: torch.Tensor) -> bytes:
    """The tensor's elements, little-endian, row-major (without numpy: a copy of its memory)."""
    c = t.detach().to("cpu").contiguous()
    if c.numel() == 0:
        return b""
    raw = ctypes.string_at(c.data_ptr(), c.numel() * c.element_size())
    if sys.byteorder == "big" and c.element_size() > 1:
        raw = bytes(torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, c.element_size()).flip(1).reshape(-1).tolist())
    return raw


def encode_safetensors(tensors: dict[str, torch.Tensor], metadata: Optional[dict[str, str]] = None) -> list[bytes]:
    """The file as chunks: length, JSON header padded with spaces to 8 bytes, tensors back to back."""
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    bodies: list[bytes] = []
    offset = 0
    for name, t in tensors.items():
        if t.dtype not in _SAFETENSORS_OF_TORCH:
            raise ValueError(f"encode_safetensors: tensor '{name}' has dtype {t.dtype}, which safetensors files here do not hold")
        body = tensor_bytes(t)
        header[name] = {"dtype": _SAFETENSORS_OF_TORCH[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(body)]}
        bodies.append(body)
        offset += len(body)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return [struct.pack("<Q", len(text)), text, *bodies]


def write_safetensors(file: str, tensors: dict[str, torch.Tensor], metadata: Optional[dict[str, str]] = None) -> None:
    chunks = encode_safetensors(tensors, metadata)

    def write(tmp: str) -> None:
        with open(tmp, "xb") as f:
            for chunk in chunks:
                f.write(chunk)

    write_atomic(file, write)


def read_safetensors(file: str) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """
    Every tensor of a safetensors file (floats as float32, integers as int64) and its metadata, in
    memory: a checkpoint read here may be replaced later in the run, which Windows refuses while
    the file is mapped.
    """
    opened = open_safetensors(file, mapped=False)
    return {a.name: a.load() for a in opened.arrays}, dict(opened.metadata or {})
