#!/usr/bin/env bash
# Vulkan for the webgpu backend's tests on Debian bookworm: the loader (libvulkan1) and Mesa's
# drivers from bookworm-backports. Dawn refuses bookworm's own Mesa 22.3 lavapipe; Mesa 25's
# llvmpipe is the software adapter the tests run on. Idempotent: does nothing when both are there.
set -euo pipefail

have() {
  dpkg-query -W -f '${Status} ${Version}\n' "$1" 2>/dev/null | grep -q "^install ok installed $2"
}

if have libvulkan1 '' && have mesa-vulkan-drivers '.*bpo12'; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null || ! grep -q bookworm /etc/os-release 2>/dev/null; then
  echo "install-webgpu-deps: needs root on Debian bookworm; install libvulkan1 and Mesa >= 24 Vulkan drivers yourself" >&2
  exit 0
fi
list=/etc/apt/sources.list.d/backports.list
grep -qs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/* ||
  echo 'deb http://deb.debian.org/debian bookworm-backports main' >"$list"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q -t bookworm-backports mesa-vulkan-drivers libvulkan1
