#!/usr/bin/env bash
# npm test: every tier. Each tier sets itself up; a missing tool is installed, not skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm install --no-audit --no-fund
node scripts/build.mjs
npx tsc -p tsconfig.test.json
node --test --test-reporter=spec out/test/unit/
