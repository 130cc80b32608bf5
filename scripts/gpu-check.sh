#!/usr/bin/env bash
# The webgpu check on a Linux machine with an NVIDIA GPU and driver but no network. Needs, beside
# the repo: .gl/ (`apt-get download libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2`) and .gpu/ (made by
# scripts/pack-gpu-check.sh). Unpacks the loader, points Vulkan at the NVIDIA driver's ICD, runs
# the webgpu tests and the benchmark, and writes a short report to $OUT/gpu-report.txt (full log:
# $OUT/gpu-check.log).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-.}
G=.gpu
log=$out/gpu-check.log

# The loader, and glvnd: the NVIDIA Vulkan ICD lives in libGLX_nvidia.so.0, which needs libGLdispatch.
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] || icd=$(ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json 2>/dev/null | head -1)
[ -n "$icd" ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd

node=$(command -v node || true)
if [ -z "$node" ] || [ "$("$node" -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  node=/tmp/node-gpu-check
  python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('$G/node.xz'), open('$node','wb'))"
  chmod +x "$node"
fi

{
  echo "== gpu-check $(date -u +%FT%TZ)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/gpu: /'
  echo "vulkan icd: ${icd:-none found}; node $("$node" -v)"
  echo "== webgpu tests"
  timeout 240 "$node" --test $(find "$G"/out/test/unit -name '*.webgpu.test.js') 2>&1 | grep -v 'artificially reduced'
  echo "tests exit: $?"
  echo "== benchmark"
  timeout 300 "$node" "$G/bench.js" --backend webgpu "$@" 2>&1 | grep -v 'artificially reduced'
  echo "benchmark exit: $?"
} 2>&1 | tee "$log"

{
  grep -E '^(== |gpu: |vulkan icd|tests exit|benchmark exit|# (tests|pass|fail|skipped))' "$log"
  grep -E '^not ok' "$log"
  grep -E '^(adapter|webgpu|wasm|train)' "$log"
} >"$out/gpu-report.txt"
echo "report: $out/gpu-report.txt"
