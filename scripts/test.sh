#!/usr/bin/env bash
# npm test: all three tiers. Each sets itself up: a missing tool is installed, never skipped.
#   1. unit tests (node:test) on the core;
#   2. the webview bundle in headless Chromium under the production CSP;
#   3. the extension in a real VS Code (code-server) driven by Playwright;
#   and the torch engine's own tests (pytest) on Debian's torch, 2 CPU ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm install --no-audit --no-fund
bash scripts/setup-vscode-host.sh   # chromium for tier 2, code-server for tier 3
bash scripts/install-webgpu-deps.sh # Vulkan + Mesa's llvmpipe: the webgpu backend's tests run on it
EMBEDDING_LENS_TEST_PYTHON=$(bash scripts/setup-python.sh | tail -n 1) # torch 1.13, open_clip, transformers
export EMBEDDING_LENS_TEST_PYTHON
node scripts/build.mjs
npm run typecheck   # host code without the DOM lib, the webview with it
npx tsc -p tsconfig.test.json
PYTHONDONTWRITEBYTECODE=1 "$EMBEDDING_LENS_TEST_PYTHON" -m pytest python/tests -q -p no:cacheprovider
node --test --test-reporter=spec out/test/unit/ out/test/processes/ out/test/browser/
node --test --test-concurrency=1 --test-reporter=spec out/test/e2e/
