"""
The torch engine's benchmark (`npm run bench -- --engine torch` runs it; the GPU check too).

- train: samples/s of the engine's own optimizer step (python/embedding_lens/step.py) for the same
  model and batch with the plain CLIP loss and with m2-Mix (weight 0.1), and the cost of m2-Mix
  over CLIP in per cent. Models: the heads (D x D on unit features) and a randomly initialised
  Hugging Face CLIPModel through the engine's own tower wrapper (no download: a CLIPConfig).
- analyze: seconds and GFLOP/s of the engine's metric pass (metrics.py) on generated pairs.

Inputs are random tensors, so the figures are the step's and the pass's, not the data loader's.
Prints one line per measurement; `--json FILE` also writes them.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import sys
import time
from typing import Any, Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import embedding_lens  # noqa: E402,F401 - sets the engine's OpenMP wait policy before torch loads OpenMP
import torch  # noqa: E402

from embedding_lens.cancel import CancelRequest  # noqa: E402
from embedding_lens.distributed import Ranks, use_cpu_cores  # noqa: E402
from embedding_lens.metrics import analyze  # noqa: E402
from embedding_lens.tile_reductions import EAGER, TileKernels, kernels_for  # noqa: E402
from embedding_lens.models.heads import Heads  # noqa: E402
from embedding_lens.models.hugging_face_model import projected  # noqa: E402
from embedding_lens.models.towers import TowerModel  # noqa: E402
from embedding_lens.step import ADAM_BETAS, ADAM_EPS, Stepper  # noqa: E402

CLIP_ONLY = {"m2mix": 0.0, "vmix": 0.0, "lmix": 0.0, "vlmix": 0.0}
M2MIX = {"m2mix": 0.1, "vmix": 0.0, "lmix": 0.0, "vlmix": 0.0}
M3MIX = {"m2mix": 0.1, "vmix": 0.05, "lmix": 0.05, "vlmix": 0.05}
LAMBDAS = {"m2mix": 0.4, "vmix": 0.3, "lmix": 0.6, "vlmix": 0.5}

#: Hugging Face CLIPConfig sizes: "vit-b-16" is ViT-B/16 with CLIP's text transformer (about 150 M weights).
CLIP_SIZES: dict[str, dict[str, Any]] = {
    "tiny": dict(
        vision_config=dict(hidden_size=64, intermediate_size=128, num_attention_heads=2, num_hidden_layers=2, image_size=32, patch_size=8),
        text_config=dict(hidden_size=64, intermediate_size=128, num_attention_heads=2, num_hidden_layers=2, max_position_embeddings=77),
        projection_dim=64,
    ),
    "vit-b-16": dict(
        vision_config=dict(hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12, image_size=224, patch_size=16),
        text_config=dict(hidden_size=512, intermediate_size=2048, num_attention_heads=8, num_hidden_layers=12, max_position_embeddings=77),
        projection_dim=512,
    ),
}


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_steps(stepper: Stepper, batch: Callable[[], tuple[Any, Any]], weights: dict[str, float], steps: int, device: torch.device) -> float:
    """Seconds per step over `steps` timed steps after two untimed ones (allocator and autotuning warm-up)."""
    images, texts = batch()
    for s in range(2):
        stepper.run(images, texts, 1e-5, weights, LAMBDAS, s)
    synchronize(device)
    start = time.perf_counter()
    for s in range(steps):
        stepper.run(images, texts, 1e-5, weights, LAMBDAS, s)
    synchronize(device)
    return (time.perf_counter() - start) / steps


def heads_model(dim: int, batch_size: int, device: torch.device) -> tuple[torch.nn.Module, Callable[[], tuple[Any, Any]]]:
    model = Heads(dim, dim, dim, seed=0).to(device)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(1)
        x = torch.nn.functional.normalize(torch.randn(batch_size, dim, generator=g), dim=1)
        y = torch.nn.functional.normalize(torch.randn(batch_size, dim, generator=g), dim=1)
        return x.to(device), y.to(device)

    return model, batch


def clip_model(size: str, batch_size: int, device: torch.device, precision: str) -> tuple[torch.nn.Module, Callable[[], tuple[Any, Any]]]:
    from transformers import CLIPConfig, CLIPModel

    torch.manual_seed(0)
    net = CLIPModel(CLIPConfig(**CLIP_SIZES[size])).to(device)
    dtype = None if precision == "fp32" or device.type != "cuda" else (torch.bfloat16 if precision == "bf16" else torch.float16)
    model = TowerModel(
        net,
        encode_image=lambda images: projected(net.get_image_features(pixel_values=images)),
        encode_text=lambda texts: projected(net.get_text_features(input_ids=texts)),
        device=device,
        dtype=dtype,
    )
    vision, text = net.config.vision_config, net.config.text_config

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(1)
        pixels = torch.randn(batch_size, 3, vision.image_size, vision.image_size, generator=g)
        tokens = torch.randint(0, text.vocab_size, (batch_size, text.max_position_embeddings), generator=g)
        return pixels.to(device), tokens.to(device)

    return model, batch


def bench_train(args: argparse.Namespace, device: torch.device, report: Callable[[dict[str, Any]], None]) -> None:
    ranks = Ranks(0, 1, 0, device)
    for model_name in args.models:
        if model_name == "heads":
            model, batch = heads_model(args.dim, args.batch, device)
            precision = "fp32"
        else:
            model, batch = clip_model(model_name, args.batch, device, args.precision)
            precision = args.precision
        params = sum(p.numel() for p in model.parameters())
        optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-5, betas=ADAM_BETAS, eps=ADAM_EPS, weight_decay=0.2)
        # Autocast lives in the tower wrapper for CLIP models; the stepper's own is for the heads.
        stepper = Stepper(model, optimizer, ranks, "fp32", 0.01, 0.07, CancelRequest())
        seconds = {name: time_steps(stepper, batch, w, args.steps, device) for name, w in (("clip", CLIP_ONLY), ("m2mix", M2MIX), ("m3mix", M3MIX))}
        rates = {name: args.batch / s for name, s in seconds.items()}
        report({
            "bench": "train", "model": model_name, "parameters": params, "device": str(device), "precision": precision,
            "batch": args.batch, "samples_per_s": {k: round(v, 1) for k, v in rates.items()},
            "steps_per_s": {k: round(1 / s, 2) for k, s in seconds.items()},
            "m2mix_cost_percent": round(100 * (rates["clip"] / rates["m2mix"] - 1), 1),
        })
        del model, optimizer, stepper
        if device.type == "cuda":
            torch.cuda.empty_cache()


def clip_like_pairs(n: int, dim: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Two narrow cones (the modality gap) with each caption near its image: CLIP-like geometry."""
    g = torch.Generator(device="cpu").manual_seed(7)
    shared = torch.randn(n, dim, generator=g)
    cone_image, cone_text = torch.randn(dim, generator=g), torch.randn(dim, generator=g)
    image = torch.nn.functional.normalize(shared + 1.5 * torch.randn(n, dim, generator=g) + 6 * cone_image / cone_image.norm() * math.sqrt(dim) / 8, dim=1)
    text = torch.nn.functional.normalize(shared + 1.5 * torch.randn(n, dim, generator=g) + 6 * cone_text / cone_text.norm() * math.sqrt(dim) / 8, dim=1)
    return image.to(device), text.to(device)


def bench_every_gpu(image: torch.Tensor, text: torch.Tensor, one_gpu_seconds: float, args: argparse.Namespace,
                    report: Callable[[dict[str, Any]], None]) -> None:
    """The same pass on every GPU of this process (row blocks dealt in turn); the target is 0.8 k times one GPU's speed."""
    every = [torch.device("cuda", i) for i in range(torch.cuda.device_count())]
    for d in every:
        synchronize(d)
    start = time.perf_counter()
    analyze(image, text, file="generated", devices=every, tf32=args.tf32)
    for d in every:
        synchronize(d)
    seconds = time.perf_counter() - start
    report({"bench": "analyze-every-gpu", "n": image.shape[0], "gpus": len(every), "seconds": round(seconds, 3),
            "speedup": round(one_gpu_seconds / seconds, 2), "target_speedup": round(0.8 * len(every), 2)})


def bench_analyze_file(args: argparse.Namespace, device: torch.device, report: Callable[[dict[str, Any]], None]) -> None:
    """
    `python -m embedding_lens analyze FILE --json` end to end on a saved (2, N, D) .npy, in a child
    process: its seconds and its own peak RSS, reading included (the file is memory-mapped).
    """
    import subprocess
    import tempfile

    import numpy as np

    for n in args.analyze:
        image, text = clip_like_pairs(n, args.dim, torch.device("cpu"))
        with tempfile.TemporaryDirectory() as folder:
            file = os.path.join(folder, "pairs.npy")
            np.save(file, torch.stack([image, text]).numpy())
            del image, text
            env = {**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python")}
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "embedding_lens", "analyze", file, "--json"], check=True, env=env, stdout=subprocess.DEVNULL)
            seconds = time.perf_counter() - start
        report({"bench": "analyze-file", "n": n, "dim": args.dim, "device": str(device), "seconds": round(seconds, 3),
                "file_mb": round(2 * n * args.dim * 4 / 2**20), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)})


def timed_analyze(image: torch.Tensor, text: torch.Tensor, device: torch.device, args: argparse.Namespace, kernels: TileKernels,
                  report: Callable[[dict[str, Any]], None]) -> tuple[float, dict[str, Any]]:
    synchronize(device)
    start = time.perf_counter()
    result = analyze(image, text, file="generated", device=device, tf32=args.tf32, kernels=kernels,
                     note=lambda message: report({"bench": "note", "message": message}))
    synchronize(device)
    return time.perf_counter() - start, result


def bench_analyze(args: argparse.Namespace, device: torch.device, report: Callable[[dict[str, Any]], None]) -> None:
    """
    The pass with the tile reductions the engine picks (compiled on CUDA); its first compiled run in
    the process, which compiles or loads the kernels from torch's cache, is reported apart. At the
    counts in --eager-at, the eager reductions too, for the ratio.
    """
    kernels = kernels_for(device, lambda message: report({"bench": "note", "message": message}))
    for index, n in enumerate(args.analyze):
        image, text = clip_like_pairs(n, args.dim, device)
        if index == 0 and kernels.form == "compiled":
            seconds, _ = timed_analyze(image, text, device, args, kernels, report)
            report({"bench": "analyze-first-compiled-run", "n": n, "seconds": round(seconds, 3)})
        seconds, result = timed_analyze(image, text, device, args, kernels, report)
        # Every distinct similarity once: the N x N cross products and both within-set triangles.
        flops = 2 * args.dim * (n * n + n * (n - 1))
        report({
            "bench": "analyze", "n": n, "dim": args.dim, "device": str(device), "tf32": args.tf32, "tiles": kernels.form,
            "seconds": round(seconds, 3), "gflops": round(flops / seconds / 1e9, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            **({"peak_gpu_mb": round(torch.cuda.max_memory_allocated(device) / 2**20)} if device.type == "cuda" else {}),
            "i2t_R@1": round(result["i2t"]["R@1"], 2), "uniformity": round(result["uniformity"], 6), "ece": round(result["ece"], 6),
        })
        if n in args.eager_at and kernels is not EAGER:
            eager_seconds, eager = timed_analyze(image, text, device, args, EAGER, report)
            report({"bench": "analyze", "n": n, "tiles": "eager", "seconds": round(eager_seconds, 3),
                    "compiled_speedup": round(eager_seconds / seconds, 2), "same_ranks": eager["i2t"] == result["i2t"] and eager["t2i"] == result["t2i"],
                    "uniformity_difference": abs(eager["uniformity"] - result["uniformity"]), "ece_difference": abs(eager["ece"] - result["ece"])})
        if device.type == "cuda" and torch.cuda.device_count() > 1:
            bench_every_gpu(image, text, seconds, args, report)
        del image, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--models", default="heads", help="comma list of heads, tiny, vit-b-16 (an empty string skips training)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "amp"])
    parser.add_argument("--analyze", default="", help="comma list of pair counts for the metric pass")
    parser.add_argument("--eager-at", default="", help="comma list of pair counts at which to time the eager tile reductions too")
    parser.add_argument("--tf32", action="store_true", help="TF32 products in the metric pass (metrics to about 1e-3)")
    parser.add_argument("--from-file", action="store_true", help="time `python -m embedding_lens analyze FILE` on saved pairs instead (reading included)")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    args.models = [m for m in args.models.split(",") if m]
    args.analyze = [int(n) for n in args.analyze.split(",") if n]
    args.eager_at = [int(n) for n in args.eager_at.split(",") if n]
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu") if args.device == "auto" else torch.device(args.device)
    if device.type == "cpu":
        use_cpu_cores(1)
    if device.type == "cuda":
        # The contract's products are float32: TF32 would change the metrics in their fourth digit.
        torch.backends.cuda.matmul.allow_tf32 = False
    print(f"torch {torch.__version__} on {device}" + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else f", {torch.get_num_threads()} threads"), flush=True)
    lines: list[dict[str, Any]] = []

    def report(line: dict[str, Any]) -> None:
        lines.append(line)
        print(json.dumps(line), flush=True)

    bench_train(args, device, report)
    (bench_analyze_file if args.from_file else bench_analyze)(args, device, report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(lines, f, indent=1)


if __name__ == "__main__":
    main()
