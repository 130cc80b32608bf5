#!/usr/bin/env bash
# The torch engine's test environment: Debian's torch 1.13 (CPU) with OpenBLAS's threaded BLAS
# (without libopenblas0-pthread it runs the reference BLAS, ~17x slower), and a virtual environment
# in .tools/pyenv that sees those system packages and adds open_clip and transformers from PyPI.
# Idempotent; prints the interpreter to use.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for pkg in python3-torch python3-torchvision python3-pil libopenblas0-pthread python3-venv python3-pytest; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
env=.tools/pyenv
if [ ! -x "$env/bin/python" ]; then
  mkdir -p .tools
  /usr/bin/python3 -m venv --system-site-packages "$env"
fi
if ! cmp -s python/requirements-test.txt "$env/.requirements" 2>/dev/null; then
  "$env/bin/pip" install -q --disable-pip-version-check -r python/requirements-test.txt
  cp python/requirements-test.txt "$env/.requirements"
fi
echo "$PWD/$env/bin/python"
