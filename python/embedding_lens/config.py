"""
The run configuration (`*.m2mix.json`), read as src/core/train/config.ts reads it: the schema
(schemas/m2mix.schema.json) gives the keys, ranges and defaults, and a port of the small draft-07
checker gives a hand-launched torchrun the same one-line errors as the editor and the CLI.
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any, Optional

from .errors import InputError

SCHEMA_ENV = "EMBEDDING_LENS_SCHEMA"

#: Keys of the torch engine, for a schema file from before they were added to it (the file wins once it has them).
TORCH_KEYS: dict[str, Any] = {
    "engine": {"enum": ["tfjs", "torch"], "default": "tfjs"},
    "model": {
        "default": "heads",
        "oneOf": [
            {"enum": ["heads"]},
            {"type": "object", "additionalProperties": False, "required": ["openClip"],
             "properties": {"openClip": {"type": "string", "minLength": 1}, "pretrained": {"type": "string", "minLength": 1}}},
            {"type": "object", "additionalProperties": False, "required": ["huggingFace"],
             "properties": {"huggingFace": {"type": "string", "minLength": 1}}},
            {"type": "object", "additionalProperties": False, "required": ["factory"],
             "properties": {"factory": {"type": "string", "pattern": "^.+\\.py:[A-Za-z_][A-Za-z0-9_]*$"}}},
        ],
    },
    "imageColumn": {"type": "string", "minLength": 1, "default": "filepath"},
    "captionColumn": {"type": "string", "minLength": 1, "default": "title"},
    "freeze": {"type": "array", "items": {"type": "string", "minLength": 1}, "default": []},
    "precision": {"enum": ["fp32", "bf16", "amp"], "default": "fp32"},
    "workers": {"type": "integer", "minimum": 0, "maximum": 256, "default": 2},
    "devices": {
        "default": "auto",
        "oneOf": [
            {"enum": ["auto"]},
            {"type": "integer", "minimum": 1, "maximum": 1024},
            {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1},
        ],
    },
    "nodes": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "count": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1},
            "rendezvous": {"type": "string", "pattern": "^[^\\s:]+:[0-9]{1,5}$"},
        },
    },
}

MIX_WEIGHT_KEYS: dict[str, str] = {"m2mix": "m2", "vmix": "v", "lmix": "l", "vlmix": "vl"}


def schema_path() -> Path:
    override = os.environ.get(SCHEMA_ENV)
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent.parent / "schemas" / "m2mix.schema.json"


def load_schema() -> dict[str, Any]:
    file = schema_path()
    try:
        schema = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(str(file), f"cannot read the run configuration's schema ({err}); set {SCHEMA_ENV} to schemas/m2mix.schema.json") from err
    properties = schema.setdefault("properties", {})
    for key, node in TORCH_KEYS.items():
        properties.setdefault(key, node)
    return schema


def type_of(v: Any) -> str:
    if isinstance(v, list):
        return "array"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        # JSON.parse gives one number type; 2.0 is an integer there.
        return "integer" if math.isfinite(v) and v == int(v) else "number"
    if isinstance(v, str):
        return "string"
    return "object"


def _type_matches(v: Any, want: str) -> bool:
    got = type_of(v)
    return got == want or (want == "number" and got == "integer")


def _js(v: Any) -> str:
    """JSON.stringify's spelling, for messages."""
    if isinstance(v, float) and v == int(v) and math.isfinite(v):
        return str(int(v))
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


def _non_finite(v: float) -> str:
    """String(v) of a JS number that is not finite."""
    return "NaN" if math.isnan(v) else "Infinity" if v > 0 else "-Infinity"


def _label(key_path: str) -> str:
    return json.dumps(key_path) if key_path else "the config"


def _child(key_path: str, key: str) -> str:
    return f"{key_path}.{key}" if key_path else key


def _alternative(node: dict[str, Any]) -> str:
    """How a oneOf branch is named in a message."""
    if "enum" in node:
        return " or ".join(_js(e) for e in node["enum"])
    if node.get("required"):
        return f"an object with {_js(node['required'][0])}"
    types = node.get("type")
    return " or ".join(types) if isinstance(types, list) else str(types or "a value")


def check(value: Any, node: dict[str, Any], key_path: str) -> Optional[str]:
    """The first problem of `value` against `node`, as a phrase naming the key, or None (config.ts's check)."""
    where = _label(key_path)
    types = node.get("type")
    types = [] if types is None else types if isinstance(types, list) else [types]
    if types and not any(_type_matches(value, t) for t in types):
        return f"{where} must be {' or '.join(types)}, got {type_of(value)}"
    if "enum" in node and not any(value == e and type_of(value) == type_of(e) for e in node["enum"]):
        return f"{where} must be one of {', '.join(_js(e) for e in node['enum'])}, got {_js(value)}"
    if "oneOf" in node:
        problem = _check_one_of(value, node["oneOf"], key_path)
        if problem:
            return problem
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            return f"{where} must be a finite number, got {_non_finite(value)}"
        if "minimum" in node and value < node["minimum"]:
            return f"{where} must be >= {_js(node['minimum'])}, got {_js(value)}"
        if "maximum" in node and value > node["maximum"]:
            return f"{where} must be <= {_js(node['maximum'])}, got {_js(value)}"
        if "exclusiveMinimum" in node and value <= node["exclusiveMinimum"]:
            return f"{where} must be > {_js(node['exclusiveMinimum'])}, got {_js(value)}"
        if "exclusiveMaximum" in node and value >= node["exclusiveMaximum"]:
            return f"{where} must be < {_js(node['exclusiveMaximum'])}, got {_js(value)}"
    if isinstance(value, str):
        if "minLength" in node and len(value) < node["minLength"]:
            return f"{where} must not be empty" if node["minLength"] == 1 else f"{where} needs at least {node['minLength']} characters"
        if "pattern" in node and not re.search(node["pattern"], value):
            return f"{where} {_js(value)} does not match {node['pattern']}"
    if isinstance(value, list):
        if "minItems" in node and len(value) < node["minItems"]:
            return f"{where} needs at least {node['minItems']} item(s)"
        if "maxItems" in node and len(value) > node["maxItems"]:
            return f"{where} takes at most {node['maxItems']} items, got {len(value)}"
        if "items" in node:
            for i, item in enumerate(value):
                problem = check(item, node["items"], f"{key_path}[{i}]")
                if problem:
                    return problem
    if isinstance(value, dict):
        props = node.get("properties", {})
        for key in node.get("required", []):
            if key not in value:
                return f"missing required key {_label(_child(key_path, key))}"
        for key, v in value.items():
            if key in props:
                problem = check(v, props[key], _child(key_path, key))
                if problem:
                    return problem
            elif node.get("additionalProperties") is False:
                return f"unknown key {_label(_child(key_path, key))} (known: {', '.join(props)})"
    return None


def _check_one_of(value: Any, branches: list[dict[str, Any]], key_path: str) -> Optional[str]:
    problems = [check(value, b, key_path) for b in branches]
    if any(p is None for p in problems):
        return None
    # The branch the user evidently meant (its required key is there) explains best what is wrong.
    if isinstance(value, dict):
        for branch, problem in zip(branches, problems):
            if branch.get("required") and all(k in value for k in branch["required"]):
                return problem
    shown = _js(value) if not isinstance(value, (dict, list)) else type_of(value)
    return f"{_label(key_path)} must be {' or '.join(_alternative(b) for b in branches)}, got {shown}"


def with_defaults(value: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Every absent key that has a schema default filled in, recursively into object-valued keys."""
    out = dict(value)
    for key, sub in node.get("properties", {}).items():
        if out.get(key) is None and "default" in sub:
            out[key] = sub["default"]
        if "properties" in sub and (out.get(key) is None or isinstance(out.get(key), dict)):
            out[key] = with_defaults(out.get(key) or {}, sub)
    return out


def merge_overrides(raw: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """An object override merges into an object value one level deep; anything else replaces it."""
    out = dict(raw)
    for k, v in overrides.items():
        base = out.get(k)
        out[k] = {**base, **v} if isinstance(v, dict) and isinstance(base, dict) else v
    return out


def run_name_from_file(file: str) -> str:
    """`coco.m2mix.json` -> `coco`."""
    stem = re.sub(r"(\.m2mix)?\.json$", "", os.path.basename(file), flags=re.IGNORECASE)
    return stem if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", stem) else "run"


def _resolve(base_dir: str, p: str) -> str:
    return os.path.normpath(os.path.join(base_dir, os.path.expanduser(p)))


def _resolve_model(model: Any, base_dir: str) -> Any:
    """Paths inside the model reference resolve against the config's folder, as train and eval do."""
    if not isinstance(model, dict):
        return model
    out = dict(model)
    if "huggingFace" in out:
        out["huggingFace"] = _resolve(base_dir, out["huggingFace"])
    if "factory" in out:
        file, _, function = out["factory"].rpartition(":")
        out["factory"] = f"{_resolve(base_dir, file)}:{function}"
    pretrained = out.get("pretrained")
    # A tag names OpenCLIP's cache; a file name (a suffix or a folder in it) is the user's local weights.
    if isinstance(pretrained, str) and (os.sep in pretrained or "/" in pretrained or re.search(r"\.(pt|pth|bin|safetensors)$", pretrained)):
        out["pretrained"] = _resolve(base_dir, pretrained)
    return out


def parse_config(raw: Any, source: str, base_dir: str, default_name: str, schema: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """Checks `raw` against the schema and returns the resolved config (absolute paths, defaults filled in)."""
    root = schema if schema is not None else load_schema()
    problem = check(raw, root, "")
    if problem:
        raise InputError(source, problem)
    full = with_defaults(raw, root)
    full.pop("$schema", None)

    def files(v: Any) -> list[str]:
        return [_resolve(base_dir, f) for f in (v if isinstance(v, list) else [v])]

    full["name"] = full.get("name") or default_name
    full["train"] = files(full["train"])
    full["eval"] = files(full["eval"])
    full["out"] = _resolve(base_dir, full["out"])
    full["model"] = _resolve_model(full.get("model", "heads"), base_dir)
    full["evalSuites"] = [_resolve(base_dir, f) for f in full.get("evalSuites") or []]
    problem = cross_key_problem(full)
    if problem:
        raise InputError(source, problem)
    return full


def cross_key_problem(c: dict[str, Any]) -> Optional[str]:
    """The rules of config.ts's crossKeyProblem that concern the suites."""
    if c["evalSuites"] and c["model"] != "heads":
        key = next(iter(c["model"])) if isinstance(c["model"], dict) else c["model"]
        return f'"evalSuites" are embedding files measured through heads: "model" {{ "{key}": … }} cannot take them'
    if c.get("bestMetric") in ("id_top1", "ood_mean") and not c["evalSuites"]:
        return f'"bestMetric": "{c["bestMetric"]}" needs "evalSuites"'
    return None


def load_config(file: str, overrides: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    """Reads a config file; `overrides` (already-resolved values) replace its keys before the check."""
    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(file, f"cannot read the config ({err.strerror or err})") from err
    try:
        raw = json.loads(text)
    except ValueError as err:
        raise InputError(file, f"not valid JSON ({err})") from err
    if not isinstance(raw, dict):
        raise InputError(file, f"must hold a JSON object, got {type_of(raw)}")
    merged = merge_overrides(raw, overrides or {})
    return parse_config(merged, file, os.path.dirname(os.path.abspath(file)), run_name_from_file(file))


def parse_overrides(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as err:
        raise InputError("--overrides", f"not valid JSON ({err})") from err
    if not isinstance(value, dict):
        raise InputError("--overrides", f"must be a JSON object, got {type_of(value)}")
    return value


def active_weights(config: dict[str, Any]) -> dict[str, float]:
    """Weight of each mixup term under the chosen loss (0 for a term the loss leaves out)."""
    loss = config["loss"]

    def used(term: str) -> bool:
        return loss == "m3mix" or (loss == "m2mix" and term == "m2mix")

    return {term: float(config["weights"][key]) if used(term) else 0.0 for term, key in MIX_WEIGHT_KEYS.items()}
