"""
Fine-tuning on classes and zero-shot suites measured every epoch, as the tfjs trainer does it
(src/core/classification/{classPairs,suiteSpec,epochSuites,suiteResult}.ts):

- a classification-only training file (image_embeds, labels, class_embeds, no text array) becomes
  its class pairs, METRICS.md "Training pairs from classes" (FLYP): text row i is w_{y_i}, one text
  row per image in the file's row order, so the pair sampler draws what the TypeScript one draws;
- a run's `evalSuites` (*.suite.json files or suite folders) are read once before training and
  measured through the heads: images through the image head, each class prompt through the text
  head, then the METRICS.md zero-shot pass (zero_shot.py) on the projected rows.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import torch

from .errors import InputError
from .tensorfile import STRING_TYPES, TEXT_KEYS, Embeddings, open_file, read_embeddings
from .zero_shot import CLASS_KEYS, LABEL_KEYS, class_vectors, read_classification_set, zero_shot

SUITE_FILE_SUFFIX = ".suite.json"
#: folderInput.ts's embeddingFileExtensions: the files a suite folder's entries may be.
EMBEDDING_FILE_EXTENSIONS = [".npy", ".npz", ".safetensors", ".pt", ".pth", ".parquet", ".arrow", ".feather"]
#: Rows a projection takes at a time.
PROJECT_ROWS = 4096


# --- training pairs from classes ------------------------------------------------------------------

def holds_classes_only(file: str) -> bool:
    """classificationKeys.ts's holdsClasses and not holdsPairs: labels and class embeddings, no text array."""
    try:
        arrays = open_file(file).arrays
    except InputError:
        return False  # read_embeddings reports the file's problem in its own words
    names = {a.name.lower() for a in arrays if a.dtype not in STRING_TYPES}
    return any(k in names for k in LABEL_KEYS) and any(k in names for k in CLASS_KEYS) and not any(k in names for k in TEXT_KEYS)


def class_pairs(file: str) -> Embeddings:
    """Pair i = (x_i, w_{y_i}) of a classification set (classPairs.ts's classPairsCheckpoint)."""
    x, y, t, names = read_classification_set(file)
    w = class_vectors(t)
    captions = [names[c] for c in y.tolist()] if names is not None else None
    return Embeddings(files=[file], image=x.to(torch.float32), text=w[y.to(torch.int64)].contiguous(), captions=captions)


def read_training_pairs(files: list[str]) -> Embeddings:
    """A training split: pairs as the readers read them, or a classification-only file as its class pairs."""
    if len(files) == 1 and holds_classes_only(files[0]):
        return class_pairs(files[0])
    return read_embeddings(files)


# --- suite specs (suiteSpec.ts) -------------------------------------------------------------------

@dataclass
class SuiteSetSpec:
    name: str
    file: str


@dataclass
class SuiteSpec:
    source: str
    name: str
    in_distribution: SuiteSetSpec
    shifted: list[SuiteSetSpec]


def is_suite_file(file: str) -> bool:
    return file.lower().endswith(SUITE_FILE_SUFFIX)


def _stem(file: str) -> str:
    return os.path.splitext(os.path.basename(file))[0]


def _folder_entries(folder: str) -> Optional[tuple[list[str], list[str]]]:
    names = sorted(n for n in os.listdir(folder) if os.path.splitext(n)[1].lower() in EMBEDDING_FILE_EXTENSIONS)
    ids = [n for n in names if _stem(n) == "id"]
    shifted = [n for n in names if _stem(n).startswith("shift-")]
    return (ids, shifted) if ids or shifted else None


def _set_spec(source: str, entry: Any, where: str) -> SuiteSetSpec:
    base = os.path.dirname(source)
    if isinstance(entry, str) and entry:
        return SuiteSetSpec(_stem(entry), os.path.normpath(os.path.join(base, entry)))
    if isinstance(entry, dict) and isinstance(entry.get("file"), str) and entry["file"] and (entry.get("name") is None or isinstance(entry.get("name"), str)):
        return SuiteSetSpec(entry.get("name") or _stem(entry["file"]), os.path.normpath(os.path.join(base, entry["file"])))
    raise InputError(source, f'{where} must be a file name or {{ "name", "file" }}')


def _read_suite_file(source: str) -> SuiteSpec:
    try:
        with open(source, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise InputError(source, "no such suite file") from None
    except OSError as err:
        raise InputError(source, f"cannot read the suite file ({err.strerror or err})") from err
    try:
        o = json.loads(text)
    except ValueError as err:
        raise InputError(source, f"is not valid JSON ({err})") from err
    if not isinstance(o, dict):
        raise InputError(source, 'a suite is a JSON object with "inDistribution" and "shifted"')
    if o.get("inDistribution") is None:
        raise InputError(source, 'names no "inDistribution" set')
    if not isinstance(o.get("shifted"), list) or not o["shifted"]:
        raise InputError(source, '"shifted" must list at least one shifted set')
    if o.get("name") is not None and not isinstance(o["name"], str):
        raise InputError(source, '"name" must be a string')
    return SuiteSpec(source, o.get("name") or os.path.basename(source)[: -len(SUITE_FILE_SUFFIX)],
                     _set_spec(source, o["inDistribution"], '"inDistribution"'),
                     [_set_spec(source, e, f'"shifted"[{k}]') for k, e in enumerate(o["shifted"])])


def _read_suite_folder(folder: str) -> SuiteSpec:
    entries = _folder_entries(folder) if os.path.isdir(folder) else None
    if entries is None or len(entries[0]) != 1:
        found = ", ".join(entries[0]) if entries and entries[0] else "none"
        raise InputError(folder, f"a suite folder needs exactly one id.* file (the in-distribution set), found {found}")
    ids, shifted = entries
    if not shifted:
        raise InputError(folder, "a suite folder needs at least one shift-*.* file (a shifted set)")
    return SuiteSpec(folder, os.path.basename(os.path.abspath(folder)), SuiteSetSpec("id", os.path.join(folder, ids[0])),
                     [SuiteSetSpec(_stem(n)[len("shift-"):], os.path.join(folder, n)) for n in shifted])


def read_suite_spec(source: str) -> SuiteSpec:
    """The suite's sets, every file checked to exist before any is read."""
    spec = _read_suite_file(source) if is_suite_file(source) else _read_suite_folder(source)
    for s in [spec.in_distribution, *spec.shifted]:
        if not os.path.exists(s.file):
            raise InputError(source, f"set '{s.name}' names {s.file}, which does not exist")
    return spec


# --- suites through the heads (epochSuites.ts) ----------------------------------------------------

@dataclass
class EpochSet:
    name: str
    file: str
    #: (N, D_image) unit rows.
    image: torch.Tensor
    labels: torch.Tensor
    #: (C * P, D_text) unit prompt rows.
    prompts: torch.Tensor
    classes: int
    prompts_per_class: int


@dataclass
class EpochSuite:
    name: str
    sets: list[EpochSet]


def _unit(m: torch.Tensor) -> torch.Tensor:
    m64 = m.to(torch.float64)
    return (m64 * (1 / m64.norm(dim=1))[:, None]).to(torch.float32)


def load_epoch_suites(sources: Sequence[str], d_image: int, d_text: int) -> list[EpochSuite]:
    """Reads every set of every suite; dimensions must fit the heads' inputs and a suite's sets share their classes."""
    suites: list[EpochSuite] = []
    for source in sources:
        spec = read_suite_spec(source)
        sets: list[EpochSet] = []
        for member in [spec.in_distribution, *spec.shifted]:
            x, y, t, _names = read_classification_set(member.file)
            classes = t.shape[0]
            prompts = t.shape[1] if t.dim() == 3 else 1
            dim = t.shape[-1]
            if x.shape[1] != d_image or dim != d_text:
                raise InputError(member.file, f"images of {x.shape[1]} and class embeddings of {dim} dimensions do not fit the heads' inputs (image {d_image}, text {d_text})")
            if sets and classes != sets[0].classes:
                raise InputError(source, f"set '{member.name}' has {classes} classes but the in-distribution set '{sets[0].name}' has {sets[0].classes}: a suite's sets share their classes")
            sets.append(EpochSet(member.name, member.file, _unit(x), y.to(torch.int64), _unit(t.reshape(classes * prompts, dim)), classes, prompts))
        suites.append(EpochSuite(spec.name, sets))
    return suites


def suite_result(name: str, sets: list[dict[str, Any]]) -> dict[str, Any]:
    """suiteResult.ts: ood_mean is the mean top-1 of the shifted sets."""
    shifted = sets[1:]
    return {"suite": name, "inDistribution": sets[0], "shifted": shifted,
            "ood_mean": sum(s["result"]["top1"] for s in shifted) / len(shifted)}


def _project(rows: torch.Tensor, encode: Any, device: torch.device) -> torch.Tensor:
    parts = [encode(rows[a:a + PROJECT_ROWS].to(device)).float().cpu() for a in range(0, rows.shape[0], PROJECT_ROWS)]
    return torch.cat(parts)


def measure_epoch_suites(suites: list[EpochSuite], model: Any, device: torch.device) -> list[dict[str, Any]]:
    """Each suite's figures with the heads as they stand (SuiteResult dicts, the keys of types.ts)."""
    out = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for suite in suites:
                results = []
                for s in suite.sets:
                    image = _project(s.image, model.encode_image, device)
                    prompts = _project(s.prompts, model.encode_text, device)
                    result = zero_shot(image, s.labels, prompts.reshape(s.classes, s.prompts_per_class, prompts.shape[1]))
                    results.append({"name": s.name, "files": [s.file], "result": result})
                out.append(suite_result(suite.name, results))
    finally:
        model.train(was_training)
    return out
