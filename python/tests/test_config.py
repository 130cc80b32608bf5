"""config.py: the TS config reader's defaults, checks and messages, and the torch engine's keys."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from embedding_lens.config import SCHEMA_ENV, active_weights, load_config, parse_overrides
from embedding_lens.errors import InputError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["repository", "without torch keys"])
def schema(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The schema as it is, and as it was before the torch keys (the reader supplies them)."""
    if request.param == "without torch keys":
        old = json.loads((REPO / "schemas" / "m2mix.schema.json").read_text())
        for key in ("engine", "model", "imageColumn", "captionColumn", "freeze", "precision", "workers", "devices", "nodes"):
            old["properties"].pop(key, None)
        (tmp_path / "old.schema.json").write_text(json.dumps(old))
        monkeypatch.setenv(SCHEMA_ENV, str(tmp_path / "old.schema.json"))
    return str(request.param)


def config_file(folder: Path, **keys: Any) -> Path:
    file = folder / "coco.m2mix.json"
    file.write_text(json.dumps({"train": "data/train.npy", "eval": ["e_img.npy", "e_txt.npy"], **keys}))
    return file


def test_defaults_paths_and_name(tmp_path: Path, schema: str) -> None:
    c = load_config(str(config_file(tmp_path)))
    assert c["name"] == "coco"
    assert c["train"] == [str(tmp_path / "data" / "train.npy")]
    assert c["eval"] == [str(tmp_path / "e_img.npy"), str(tmp_path / "e_txt.npy")]
    assert c["out"] == str(tmp_path / "runs")
    assert (c["loss"], c["tau"], c["tauM"], c["beta"], c["batchSize"], c["weightDecay"]) == ("m2mix", 0.01, 0.07, 0.5, 128, 0.2)
    assert (c["engine"], c["model"], c["precision"], c["workers"], c["devices"], c["freeze"]) == ("tfjs", "heads", "fp32", 2, "auto", [])
    assert (c["imageColumn"], c["captionColumn"], c["nodes"]) == ("filepath", "title", {"count": 1})
    assert "$schema" not in c
    assert active_weights(c) == {"m2mix": 0.1, "vmix": 0, "lmix": 0, "vlmix": 0}


def test_model_references_resolve_against_the_config(tmp_path: Path, schema: str) -> None:
    factory = load_config(str(config_file(tmp_path, engine="torch", model={"factory": "models/mine.py:build"})))
    assert factory["model"] == {"factory": f"{tmp_path / 'models' / 'mine.py'}:build"}
    tagged = load_config(str(config_file(tmp_path, model={"openClip": "ViT-B-32", "pretrained": "laion2b_s34b_b79k"})))
    assert tagged["model"]["pretrained"] == "laion2b_s34b_b79k"
    local = load_config(str(config_file(tmp_path, model={"openClip": "ViT-B-32", "pretrained": "w/vit.pt"})))
    assert local["model"]["pretrained"] == str(tmp_path / "w" / "vit.pt")
    hf = load_config(str(config_file(tmp_path, model={"huggingFace": "hf"}), ), {"devices": [0, 1], "nodes": {"count": 2, "rendezvous": "head:29500"}})
    assert hf["model"] == {"huggingFace": str(tmp_path / "hf")} and hf["devices"] == [0, 1] and hf["nodes"]["count"] == 2


def test_overrides_merge_like_the_cli(tmp_path: Path, schema: str) -> None:
    c = load_config(str(config_file(tmp_path, weights={"m2": 0.3, "v": 0.2})), parse_overrides('{"weights": {"v": 0.5}, "name": "other"}'))
    assert c["weights"] == {"m2": 0.3, "v": 0.5, "l": 0.05, "vl": 0.05}
    assert c["name"] == "other"


@pytest.mark.parametrize("keys, message", [
    ({"epochs": 0}, '"epochs" must be >= 1, got 0'),
    ({"epochs": 1.5}, '"epochs" must be integer, got number'),
    ({"lr": 0}, '"lr" must be > 0, got 0'),
    ({"warmup": 1}, '"warmup" must be < 1, got 1'),
    ({"loss": "mse"}, '"loss" must be one of "clip", "m2mix", "m3mix", got "mse"'),
    ({"name": "-x"}, '"name" "-x" does not match ^[A-Za-z0-9][A-Za-z0-9._-]*$'),
    ({"weights": {"m3": 1}}, 'unknown key "weights.m3" (known: m2, v, l, vl)'),
    ({"batch": 4}, 'unknown key "batch" (known: $schema, name, '),
    ({"train": []}, '"train" needs at least 1 item(s)'),
    ({"train": ["a", "b", "c"]}, '"train" takes at most 2 items, got 3'),
    ({"train": [1]}, '"train[0]" must be string, got integer'),
    ({"precision": "fp16"}, '"precision" must be one of "fp32", "bf16", "amp", got "fp16"'),
    ({"workers": -1}, '"workers" must be >= 0, got -1'),
    ({"devices": 0}, '"devices" must be "auto" or integer or array, got 0'),
    ({"devices": [0, -1]}, '"devices" must be "auto" or integer or array, got array'),
    ({"model": "vit"}, '"model" must be "heads" or an object with "openClip" or an object with "huggingFace" or an object with "factory", got "vit"'),
    ({"model": {"factory": "mine.py"}}, '"model.factory" "mine.py" does not match ^.+\\.py:[A-Za-z_][A-Za-z0-9_]*$'),
    ({"model": {"openClip": "ViT-B-32", "pretained": "x"}}, 'unknown key "model.pretained" (known: openClip, pretrained)'),
    ({"nodes": {"count": 2, "rendezvous": "head"}}, '"nodes.rendezvous" "head" does not match ^[^\\s:]+:[0-9]{1,5}$'),
    ({"freeze": [""]}, '"freeze[0]" must not be empty'),
])
def test_bad_values_are_one_line(tmp_path: Path, schema: str, keys: dict[str, Any], message: str) -> None:
    file = config_file(tmp_path, **keys)
    with pytest.raises(InputError) as caught:
        load_config(str(file))
    assert caught.value.file == str(file)
    assert caught.value.problem.startswith(message), caught.value.problem


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the config"):
        load_config(str(tmp_path / "absent.m2mix.json"))
    (tmp_path / "x.m2mix.json").write_text("{nope")
    with pytest.raises(InputError, match="not valid JSON"):
        load_config(str(tmp_path / "x.m2mix.json"))
    (tmp_path / "y.m2mix.json").write_text("[1]")
    with pytest.raises(InputError, match="must hold a JSON object, got array"):
        load_config(str(tmp_path / "y.m2mix.json"))
    (tmp_path / "z.m2mix.json").write_text('{"eval": "e.npy"}')
    with pytest.raises(InputError, match='missing required key "train"'):
        load_config(str(tmp_path / "z.m2mix.json"))
    with pytest.raises(InputError, match="must be a JSON object"):
        parse_overrides("[]")
