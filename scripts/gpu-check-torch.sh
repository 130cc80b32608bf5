#!/usr/bin/env bash
# The torch engine's check on a CUDA machine with torch 2.x and transformers but no network (run
# from the repo root; nothing to build). In order (the timings first, should the session's device
# time run out), each with its own time limit:
#   1. scripts/gpu-check-analyze.py (the analysis pass on CUDA equals the CPU's), then
#      scripts/bench_torch.py: the heads step and a ViT-B/16-sized random CLIPModel at batch 128 in
#      bf16, CLIP loss against m2-Mix (samples/s), and the metric pass at 100,000 and 1,000,000 pairs
#      with compiled tile reductions (its first, compiling run apart), and eagerly at 100,000;
#   2. real runs of `python -m embedding_lens train` on one GPU: the heads path on generated pairs,
#      and a full Hugging Face CLIPModel (small random CLIPConfig) in bf16 on generated images;
#   3. the engine's pytest suite on this torch (tests that need node or open_clip skip or fail by name);
#   4. with .gpu/ carried (scripts/pack-gpu-check.sh), the tfjs webgpu training step beside them.
# Writes $OUT/gpu-torch-report.txt (the JSON lines and summaries) and $OUT/gpu-torch.log (all).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-.}
log=$out/gpu-torch.log
py=${PYTHON:-python3}
work=$(mktemp -d)
export PYTHONPATH=$PWD/python PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

summary() { # the last lines of a run's log: its summary event and its rate
  grep -h '"type": *"summary"' "$1" | tail -1
  grep -h '"type": *"step"' "$2/run.jsonl" 2>/dev/null | tail -1
}

{
  echo "== gpu-check-torch $(date -u +%FT%TZ)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
  $py -m embedding_lens info
  echo "== analysis on CUDA against the CPU (every metric to 1e-4, ranks exactly)"
  timeout 120 $py scripts/gpu-check-analyze.py  # compiles the tile reductions (cold: tens of seconds), then they are cached
  echo "analysis check exit: $?"
  echo "== bench"
  timeout 200 $py scripts/bench_torch.py --models heads,vit-b-16 --batch 128 --precision bf16 --steps 20 --analyze 100000,1000000 --eager-at 100000 --json "$out/bench-torch.json"
  echo "bench exit: $?"

  echo "== train: heads on CUDA"
  $py - "$work" <<'EOF'
import json, sys, torch
from pathlib import Path
sys.path.insert(0, "python")
from embedding_lens.tensorfile import write_safetensors
work = Path(sys.argv[1])
g = torch.Generator().manual_seed(0)
for name, n in (("train", 16384), ("eval", 2048)):
    shared = torch.randn(n, 512, generator=g)
    image = torch.nn.functional.normalize(shared + torch.randn(n, 512, generator=g), dim=1)
    text = torch.nn.functional.normalize(shared + torch.randn(n, 512, generator=g), dim=1)
    write_safetensors(str(work / f"{name}.safetensors"), {"image_embeds": image, "text_embeds": text}, {})
(work / "heads.m2mix.json").write_text(json.dumps({"engine": "torch", "model": "heads", "train": "train.safetensors", "eval": "eval.safetensors",
    "loss": "m2mix", "epochs": 2, "batchSize": 128, "out": "runs", "devices": "auto"}))
EOF
  timeout 45 $py -m embedding_lens train "$work/heads.m2mix.json" >"$work/heads.out" 2>"$work/heads.err"
  echo "heads exit: $?"; summary "$work/heads.out" "$work/runs/heads"; tail -3 "$work/heads.err"

  echo "== train: Hugging Face CLIPModel, bf16"
  $py - "$work" <<'EOF'
import json, sys
from pathlib import Path
sys.path.insert(0, "python/tests")
from fixtures.datasets import make_dataset, make_hf_folder
work = Path(sys.argv[1])
make_hf_folder(work / "clip")
train = make_dataset(work / "data", images=1024, name="train.csv", seed=1)
eval_ = make_dataset(work / "data", images=256, name="eval.csv", seed=2)
(work / "hf.m2mix.json").write_text(json.dumps({"engine": "torch", "model": {"huggingFace": "clip"}, "train": str(train), "eval": str(eval_),
    "loss": "m2mix", "epochs": 2, "batchSize": 128, "out": "runs", "precision": "bf16", "workers": 4, "devices": "auto"}))
EOF
  timeout 75 $py -m embedding_lens train "$work/hf.m2mix.json" >"$work/hf.out" 2>"$work/hf.err"
  echo "hf exit: $?"; summary "$work/hf.out" "$work/runs/hf"; ls "$work/runs/hf" 2>&1 | tr '\n' ' '; echo; tail -3 "$work/hf.err"


  echo "== pytest on this torch"
  timeout 100 $py -m pytest python/tests -q -p no:cacheprovider -rf --ignore=python/tests/test_adapters.py 2>&1 | tail -25
  echo "pytest exit: $?"
  if [ -f .gpu/bench.js ]; then
    echo "== tfjs webgpu rung (train step)"
    for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
    icd=$(ls /usr/local/nvidia/share/vulkan/icd.d/nvidia*.json /usr/share/vulkan/icd.d/nvidia*.json 2>/dev/null | head -1)
    [ -n "$icd" ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
    node=$(command -v node || true)
    if [ -z "$node" ]; then node=/tmp/node-gpu-check; python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('.gpu/node.xz'), open('$node','wb'))"; chmod +x $node; fi
    timeout 90 "$node" .gpu/bench.js --backend webgpu 2>&1 | grep -v 'artificially reduced' | tail -12
    echo "webgpu exit: $?"
  fi
} 2>&1 | tee "$log"

grep -E '^(== |gpu: |\{"ok"|\{"bench"|[a-z]+ exit|.*passed|.*failed|(@embedding-lens )?\{"type": *"(summary|step)"|adapter|webgpu|train step)' "$log" >"$out/gpu-torch-report.txt"
echo "report: $out/gpu-torch-report.txt"
