#!/usr/bin/env bash
# npm test: every tier (ARCHITECTURE.md, test/). Each sets itself up: a missing tool is installed,
# never skipped.
#   1. unit tests (node:test) of pure code (test/unit);
#   2. tests that start processes, worker threads or the CLI (test/processes);
#   3. the webview bundle in headless Chromium under the production CSP (test/browser);
#   4. the extension in a real VS Code (code-server) driven by Playwright (test/e2e);
#   and the torch engine's own tests (pytest) on Debian's torch, 2 CPU ranks.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm install --no-audit --no-fund
bash scripts/setup-vscode-host.sh   # chromium for tier 3, code-server for tier 4
bash scripts/install-webgpu-deps.sh # Vulkan + Mesa's llvmpipe: the webgpu backend's tests run on it
EMBEDDING_LENS_TEST_PYTHON=$(bash scripts/setup-python.sh | tail -n 1) # torch 1.13, open_clip, transformers
export EMBEDDING_LENS_TEST_PYTHON
node scripts/build.mjs
npm run typecheck   # host code without the DOM lib, the webview with it
npm run lint        # typescript-eslint (layers, import cycles), then Prettier's check
npx tsc -p tsconfig.test.json
PYTHONDONTWRITEBYTECODE=1 "$EMBEDDING_LENS_TEST_PYTHON" -m pytest python/tests -q -p no:cacheprovider
node --test --test-reporter=spec out/test/unit/ out/test/processes/ out/test/browser/
node --test --test-concurrency=1 --test-reporter=spec out/test/e2e/
