"""
The full-model adapters on randomly initialised models (no download): a tiny OpenCLIP architecture
from a model-config JSON file, a tiny Hugging Face CLIPModel saved to a folder, and a factory file.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures.datasets import FACTORY, OPEN_CLIP_CONFIG, make_dataset, make_hf_folder, run_config  # noqa: E402

from embedding_lens.errors import InputError  # noqa: E402
from embedding_lens.model_api import BuiltModel  # noqa: E402
from embedding_lens.models import factory_model, hugging_face_model, open_clip_model  # noqa: E402

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("data"), images=64)


@pytest.fixture(scope="module")
def hf_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers")
    return make_hf_folder(tmp_path_factory.mktemp("hf") / "tiny-clip")


def check_step(built: BuiltModel, frozen_prefix: str = "", batch: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    """One forward + backward through the DualEncoder as the trainer runs it; unit-norm fp32 out."""
    source = built.train or built.eval
    idx = list(range(batch))
    built.model.train()
    x, y = built.model(source.images(idx, CPU), source.texts(idx, CPU))
    assert x.dtype == torch.float32 and y.dtype == torch.float32 and x.shape[0] == y.shape[0] == batch
    torch.testing.assert_close(x.norm(dim=1), torch.ones(batch))
    torch.testing.assert_close(y.norm(dim=1), torch.ones(batch))
    (x @ y.T).logsumexp(1).mean().backward()
    for name, p in built.model.net.named_parameters():  # type: ignore[union-attr]
        if frozen_prefix and name.startswith(frozen_prefix):
            assert not p.requires_grad and p.grad is None, name
    return x.detach(), y.detach()


# --- OpenCLIP ---------------------------------------------------------------------------------------

def open_clip_config(data: Path, **extra: Any) -> dict[str, Any]:
    model = {"openClip": str(OPEN_CLIP_CONFIG), **extra.pop("model", {})}
    train = extra.pop("train", data)
    return run_config(model, train, data, **extra)


def test_open_clip_lit_locks_the_image_tower(data: Path) -> None:
    pytest.importorskip("open_clip")
    built = open_clip_model.build(open_clip_config(data, freeze=["image"]), CPU)
    assert built.kind == "openClip" and built.train is not None and built.train.n_images == 64
    assert built.frozen and all(n.startswith("net.visual.") for n in built.frozen)
    check_step(built, frozen_prefix="visual.")
    net = built.model.net  # type: ignore[union-attr]
    assert net.token_embedding.weight.grad is not None  # the text tower trains
    assert not net.visual.training and net.transformer.training  # locked tower stays in eval mode
    saved = built.state_dict()  # type: ignore[misc]
    assert saved and not any(k.startswith("net.visual.") or k == "net.logit_scale" for k in saved)
    # The trainer's resume puts the file back with load_state_dict(strict=False): names must match.
    fresh = open_clip_model.build(open_clip_config(data, freeze=["image"], seed=7), CPU)
    assert not torch.equal(fresh.model.net.token_embedding.weight, net.token_embedding.weight)  # type: ignore[union-attr]
    assert not fresh.model.load_state_dict(saved, strict=False).unexpected_keys
    assert torch.equal(fresh.model.net.token_embedding.weight, net.token_embedding.weight)  # type: ignore[union-attr]
    assert any("frozen: the image tower" in n for n in built.notes)


def test_open_clip_local_weights_file_and_bf16(data: Path, tmp_path: Path) -> None:
    open_clip = pytest.importorskip("open_clip")
    first = open_clip_model.build(open_clip_config(data), CPU)
    weights = tmp_path / "tiny.pt"
    torch.save(first.model.net.state_dict(), weights)  # type: ignore[union-attr]
    torch.manual_seed(123)  # a different random init, overwritten by the file
    again = open_clip_model.build(open_clip_config(data, model={"pretrained": str(weights)}), CPU)
    images = first.eval.images([0, 1, 2], CPU)
    with torch.no_grad():
        torch.testing.assert_close(again.model.encode_image(images), first.model.encode_image(images))
    # bf16 is a CUDA setting (torch 1.13's CPU autocast cannot run these towers): fp32 here, said in a note.
    bf16 = open_clip_model.build(open_clip_config(data, model={"pretrained": str(weights)}, precision="bf16"), CPU)
    assert any("applies on CUDA devices" in n for n in bf16.notes)
    with torch.no_grad():
        torch.testing.assert_close(bf16.model.encode_image(images), first.model.encode_image(images))
    # Under a caller's CPU bf16 autocast too (the trainer's, for the heads' sake), the towers run fp32.
    with torch.no_grad(), torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        torch.testing.assert_close(bf16.model.encode_image(images), first.model.encode_image(images))
    with pytest.raises(InputError, match='"precision" is "fp16"'):
        open_clip_model.build(open_clip_config(data, precision="fp16"), CPU)
    assert open_clip is not None


def test_open_clip_cached_tag_loads_without_network(data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pretrained tag whose file is in the Hugging Face cache loads offline from there."""
    open_clip = pytest.importorskip("open_clip")
    hub_constants = pytest.importorskip("huggingface_hub.constants")
    built = open_clip_model.build(open_clip_config(data, train=None), CPU)
    snapshot = tmp_path / "hub" / "models--el--tiny" / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (tmp_path / "hub" / "models--el--tiny" / "refs").mkdir()
    (tmp_path / "hub" / "models--el--tiny" / "refs" / "main").write_text("abc123")
    torch.save(built.model.net.state_dict(), snapshot / "open_clip_pytorch_model.bin")  # type: ignore[union-attr]
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setitem(open_clip.pretrained._PRETRAINED, "EL-Tiny", {"cached": {"hf_hub": "el/tiny/", "mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)}})
    loaded = open_clip_model.build(open_clip_config(data, model={"pretrained": "cached"}, train=None), CPU)
    assert any("from the local cache" in n for n in loaded.notes)
    sd = loaded.model.net.state_dict()  # type: ignore[union-attr]
    assert all(torch.equal(v, sd[k]) for k, v in built.model.net.state_dict().items())  # type: ignore[union-attr]
    # The tag's image statistics travel with it although create_model got a file path.
    assert loaded.model.net.visual.preprocess_cfg["mean"] == (0.5, 0.5, 0.5)  # type: ignore[union-attr]
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    with pytest.raises(InputError, match="not in this machine's cache"):
        open_clip_model.build(open_clip_config(data, model={"pretrained": "cached"}, train=None), CPU)


def test_open_clip_refuses_a_tag_that_would_download(data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub_constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setattr(hub_constants, "HF_HUB_CACHE", str(tmp_path / "empty-hub"))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.cache/clip either
    config = run_config({"openClip": "ViT-B-32", "pretrained": "laion2b_s34b_b79k"}, None, data)
    with pytest.raises(InputError) as err:
        open_clip_model.build(config, CPU)
    assert "not in this machine's cache" in err.value.line() and "local .pt/.safetensors" in err.value.line()
    with pytest.raises(InputError, match="neither a local file nor a pretrained tag of ViT-B-32 .its tags: openai"):
        open_clip_model.build(run_config({"openClip": "ViT-B-32", "pretrained": "nonsense"}, None, data), CPU)
    with pytest.raises(InputError, match="does not exist"):
        open_clip_model.build(run_config({"openClip": "ViT-B-32", "pretrained": str(tmp_path / "none.pt")}, None, data), CPU)
    with pytest.raises(InputError, match="not an OpenCLIP architecture"):
        open_clip_model.build(run_config({"openClip": "ViT-Q-99"}, None, data), CPU)


def test_open_clip_missing_says_what_to_install(data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "open_clip", None)  # `import open_clip` now fails as if absent
    with pytest.raises(InputError) as err:
        open_clip_model.build(open_clip_config(data), CPU)
    line = err.value.line()
    assert '"model": {"openClip": ...} needs open_clip (pip install open_clip_torch) in ' + sys.executable in line


def test_freeze_entry_naming_nothing_is_refused(data: Path) -> None:
    pytest.importorskip("open_clip")
    with pytest.raises(InputError, match='"freeze" entry "visul" names no parameter'):
        open_clip_model.build(open_clip_config(data, freeze=["visul"]), CPU)
    built = open_clip_model.build(open_clip_config(data, freeze=["visual.transformer.resblocks.0"]), CPU)
    assert built.frozen and all(n.startswith("net.visual.transformer.resblocks.0.") for n in built.frozen)


# --- Hugging Face -----------------------------------------------------------------------------------

def test_hugging_face_local_folder(data: Path, hf_folder: Path) -> None:
    from transformers import CLIPImageProcessor, CLIPModel, CLIPTokenizer
    from PIL import Image

    built = hugging_face_model.build(run_config({"huggingFace": str(hf_folder)}, data, data, freeze=["text"]), CPU)
    assert built.kind == "huggingFace" and all(n.startswith(("net.text_model.", "net.text_projection.")) for n in built.frozen)
    x, y = check_step(built, frozen_prefix="text_model.")
    assert built.model.net.vision_model.embeddings.patch_embedding.weight.grad is not None  # type: ignore[union-attr]
    # The same numbers as CLIPModel used directly (the adapter's preprocess and padding are CLIP's).
    reference = CLIPModel.from_pretrained(str(hf_folder)).eval()
    tok = CLIPTokenizer.from_pretrained(str(hf_folder))
    proc = CLIPImageProcessor.from_pretrained(str(hf_folder))
    table = built.eval.table  # type: ignore[attr-defined]
    images = [Image.open(p).convert("RGB") for p in table.image_paths[:8]]
    built.model.eval()
    with torch.no_grad():
        want_x = reference.get_image_features(**proc(images=images, return_tensors="pt"))
        want_y = reference.get_text_features(**tok(table.captions[:8], padding=True, return_tensors="pt"))
        got_x = built.model.encode_image(built.eval.images(range(8), CPU))
        got_y = built.model.encode_text(built.eval.texts(range(8), CPU))
    torch.testing.assert_close(got_x, torch.nn.functional.normalize(want_x), atol=1e-5, rtol=0)
    torch.testing.assert_close(got_y, torch.nn.functional.normalize(want_y), atol=1e-5, rtol=0)


def test_hugging_face_bad_folders(data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="does not exist"):
        hugging_face_model.build(run_config({"huggingFace": str(tmp_path / "nowhere")}, None, data), CPU)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="has no config.json"):
        hugging_face_model.build(run_config({"huggingFace": str(tmp_path / "empty")}, None, data), CPU)
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(InputError, match=r"needs transformers \(pip install transformers\) in "):
        hugging_face_model.build(run_config({"huggingFace": str(tmp_path / "empty")}, None, data), CPU)


# --- factory ----------------------------------------------------------------------------------------

def test_factory_file(data: Path) -> None:
    built = factory_model.build(run_config({"factory": f"{FACTORY}:make"}, data, data, freeze=["image"]), CPU)
    assert built.kind == "factory" and built.frozen and all(n.startswith("net.visual.") for n in built.frozen)
    check_step(built, frozen_prefix="visual.")
    assert built.model.net.token_embedding.weight.grad is not None  # type: ignore[union-attr]
    assert set(built.state_dict()) == {"net.token_embedding.weight", "net.text_projection.weight", "net.text_projection.bias"}  # type: ignore[misc]


def test_factory_wrong_object_and_bad_specs(data: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        factory_model.build(run_config({"factory": f"{FACTORY}:no_encode_text"}, data, data), CPU)
    assert err.value.file == str(FACTORY) and "returned dict without encode_text" in err.value.problem
    with pytest.raises(InputError, match="has no function nope .its functions: .*make"):
        factory_model.build(run_config({"factory": f"{FACTORY}:nope"}, data, data), CPU)
    with pytest.raises(InputError, match="must be \"path/to/file.py:function\""):
        factory_model.build(run_config({"factory": str(FACTORY)}, data, data), CPU)
    with pytest.raises(InputError, match="does not exist"):
        factory_model.build(run_config({"factory": f"{tmp_path / 'gone.py'}:make"}, data, data), CPU)
    broken = tmp_path / "broken.py"
    broken.write_text("import no_such_module_here\n")
    with pytest.raises(InputError, match="raised ModuleNotFoundError on import"):
        factory_model.build(run_config({"factory": f"{broken}:make"}, data, data), CPU)


def test_data_errors_come_before_the_model_loads(tmp_path: Path) -> None:
    bad = make_dataset(tmp_path, images=4, columns=("image", "caption"))
    with pytest.raises(InputError, match="has no column 'filepath' and 'title'"):
        factory_model.build(run_config({"factory": f"{FACTORY}:make"}, bad, bad), CPU)
