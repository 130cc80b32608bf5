#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on an offline GPU machine into .gpu/ (git-ignored, well
# under the 64 MiB a device call carries): the compiled core and webgpu tests, the benchmark
# bundle, and a node_modules cut down to the TensorFlow.js packages' Node entry points and the
# linux-x64 Dawn addon, and this machine's node binary (xz). The Vulkan loader .debs go to .gl/ (apt-get download, needs network).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .gpu && mkdir -p .gpu/node_modules/@tensorflow .gpu/node_modules/webgpu/dist .gpu/out .gl
npx tsc -p tsconfig.test.json >/dev/null || true # other files' type errors must not stop the pack
(cd out && find test/unit -name '*.webgpu.test.js' -exec cp --parents {} ../.gpu/out/ \;)
cp -r out/src .gpu/out/src && cp -r out/test/helpers .gpu/out/test/helpers && cp -r out/schemas .gpu/out/schemas
npx esbuild scripts/bench.ts --bundle --platform=node --format=cjs --target=node20 \
  --external:@tensorflow/* --external:webgpu --outfile=.gpu/bench.js --log-level=warning
nm=node_modules
for p in tfjs-core tfjs-backend-cpu tfjs-backend-wasm tfjs-backend-webgpu; do
  d=.gpu/$nm/@tensorflow/$p && mkdir -p "$d/dist"
  cp $nm/@tensorflow/$p/package.json "$d/"
  main=$(node -p "require('./$nm/@tensorflow/$p/package.json').main")
  cp "$nm/@tensorflow/$p/$main" "$d/$main"
done
cp $nm/@tensorflow/tfjs-backend-wasm/dist/*.wasm .gpu/$nm/@tensorflow/tfjs-backend-wasm/dist/
cp $nm/webgpu/package.json .gpu/$nm/webgpu/ && cp -r $nm/webgpu/dist/linux-x64 .gpu/$nm/webgpu/dist/
for p in seedrandom long node-fetch whatwg-url tr46 webidl-conversions; do cp -r $nm/$p .gpu/$nm/; done
# The GPU image may have no Node: carry this one, compressed (99 MB raw, the carry limit is 64 MiB).
xz -T2 -6 -c "$(command -v node)" >.gpu/node.xz
[ -n "$(ls .gl/*.deb 2>/dev/null)" ] || (cd .gl && apt-get download libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2)
du -sh .gpu .gl
