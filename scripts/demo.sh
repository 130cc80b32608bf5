#!/usr/bin/env bash
# npm run demo: writes the embedded CLIP-like sample workspace with the project's own generator and
# opens it with Embedding Lens loaded: in VS Code desktop when `code` is on PATH, else in code-server
# (installed on first use into .tools/), whose URL is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm install --no-audit --no-fund
node scripts/build.mjs
node dist/cli.js sample sample-workspace >/dev/null
echo "Sample workspace: $PWD/sample-workspace"
node dist/cli.js analyze sample-workspace/clip-sample.npy
if command -v code >/dev/null; then
  exec code --extensionDevelopmentPath="$PWD" "$PWD/sample-workspace"
fi
bash scripts/setup-vscode-host.sh
npx tsc -p tsconfig.test.json
exec node out/test/e2e/codeServer.js "$PWD/sample-workspace" --port "${PORT:-0}"
