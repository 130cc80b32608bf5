#!/usr/bin/env bash
# Installs the real VS Code the e2e tier drives (code-server + Debian chromium), following
# shared/VSCODE-HOST.md. Idempotent: a stamp records a finished install for this Node ABI.
# Every npm step runs with --ignore-scripts (the packages' own install scripts download from GitHub,
# which CI cannot reach), so npm 11's allow-scripts policy never matters; native modules are built
# here with npm's own node-gyp against the installed Node headers.
set -euo pipefail
cd "$(dirname "$0")/.."

version=4.100.3
tools="$PWD/.tools/code-server"
stamp="$tools/.installed"
want="code-server@$version node-abi-$(node -p process.versions.modules)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && command -v chromium >/dev/null; then
  exit 0
fi

log() { echo "setup-vscode-host: $*" >&2; }

# --- Debian packages -----------------------------------------------------------------------------
if ! command -v chromium >/dev/null || ! command -v rg >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  log "installing chromium ripgrep libkrb5-dev"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium ripgrep libkrb5-dev
fi

# --- code-server and its VS Code dependencies ----------------------------------------------------
node_bin="$(readlink -f "$(command -v node)")"
nodedir="$(dirname "$(dirname "$node_bin")")"
[ -f "$nodedir/include/node/node.h" ] || { log "no Node headers in $nodedir/include/node"; exit 1; }
npm_root="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
node_gyp="$npm_root/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$node_gyp" ] || { log "npm's node-gyp not found at $node_gyp"; exit 1; }

rm -f "$stamp"
mkdir -p "$tools"
[ -f "$tools/package.json" ] || echo '{"private": true}' >"$tools/package.json"
npm_quiet=(--ignore-scripts --no-audit --no-fund --loglevel=error)

log "installing code-server@$version"
npm install --prefix "$tools" "${npm_quiet[@]}" "code-server@$version"

cs="$tools/node_modules/code-server"
vs="$cs/lib/vscode"

log "installing VS Code server dependencies"
(cd "$vs" && npm install --omit=dev "${npm_quiet[@]}")

# @vscode/ripgrep's postinstall would download rg from GitHub; Debian's works the same.
mkdir -p "$vs/node_modules/@vscode/ripgrep/bin"
cp "$(command -v rg)" "$vs/node_modules/@vscode/ripgrep/bin/rg"

for mod in kerberos node-pty @parcel/watcher @vscode/spdlog native-watchdog @vscode/deviceid; do
  log "building $mod"
  (cd "$vs/node_modules/$mod" && node "$node_gyp" rebuild --nodedir="$nodedir" --jobs=2 --loglevel=warn >/dev/null)
done

# argon2 is code-server's own dependency (npm hoists it next to code-server). Building from source
# skips node-pre-gyp's download attempt; npm_config_node_gyp points it at npm's node-gyp.
log "building argon2"
argon2="$(dirname "$(node -p "require.resolve('argon2/package.json', {paths: ['$cs']})")")"
(cd "$argon2" &&
  npm_config_node_gyp="$node_gyp" node "$(node -p "require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp')")" \
    install --build-from-source --nodedir="$nodedir" --loglevel=warn >/dev/null)

# The links code-server's own postinstall would make.
ln -sfn node_modules "$vs/node_modules.asar"
ln -sfn code-linux.sh "$vs/bin/remote-cli/code-server"
ln -sfn browser-linux.sh "$vs/bin/helpers/browser.sh"

log "installing built-in extensions' dependencies"
(cd "$vs/extensions" && npm install --omit=dev "${npm_quiet[@]}")

echo "$want" >"$stamp"
log "done"
