// One esbuild script for every bundle: extension host, worker, CLI, benchmark (Node, CommonJS)
// and the webview (browser, ESM). TensorFlow.js (core, cpu, wasm, webgpu) is bundled; the optional
// native backends @tensorflow/tfjs-node(-gpu) stay external, resolved at run time: they bring their
// own tfjs-core copy, which shares the bundled one's engine and kernel registry (tfjs keeps both on
// the global object). Dawn (npm `webgpu`) stays external too: its native addon is found by path
// (src/core/backend/webgpuRung.ts). tfjs-backend-wasm's binaries are copied beside the bundles.
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  external: ['vscode', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'webgpu'],
  // Lets src/core/backend/wasmBinaries.ts know it runs from a bundle, whose wasm binaries lie beside it.
  define: { EMBEDDING_LENS_BUNDLE: 'true' },
  logLevel: 'warning',
};

const builds = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { worker: 'src/worker/worker.ts' }, outdir: 'dist' },
  { ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: { blockWorker: 'src/core/metrics/pool/blockWorker.ts' }, outdir: 'dist' },
  {
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    sourcemap: !production,
    minify: true,
    entryPoints: { main: 'webview/src/main.ts' },
    outdir: 'dist/webview',
    loader: { '.css': 'css' },
    logLevel: 'warning',
  },
].filter((b) => Object.values(b.entryPoints).every((p) => existsSync(p)));

if (existsSync('scripts/bench.ts'))
  builds.push({ ...node, entryPoints: { bench: 'scripts/bench.ts' }, outdir: 'dist' });

mkdirSync('dist/webview', { recursive: true });
// What scripts/package.mjs stages for one platform package; a checkout's build is none.
for (const staged of ['dist/target.json', 'dist/dawn']) rmSync(staged, { recursive: true, force: true });
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
  // Node never takes the threaded wasm build (tfjs-backend-wasm turns threads off under Node).
  for (const wasm of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) {
    copyFileSync(`node_modules/@tensorflow/tfjs-backend-wasm/dist/${wasm}`, `dist/${wasm}`);
  }
  const codicons = 'node_modules/@vscode/codicons/dist/codicon.css';
  if (existsSync(codicons)) {
    copyFileSync(codicons, 'dist/webview/codicon.css');
    copyFileSync('node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/webview/codicon.ttf');
  }
}
