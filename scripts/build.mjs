// One esbuild script for every bundle: extension host, worker, CLI, benchmark (Node, CommonJS)
// and the webview (browser, ESM). TensorFlow.js stays external so the optional native backends,
// when installed, register with the same tfjs-core instance the bundles use.
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const node = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  external: ['vscode', '@tensorflow/*', 'webgpu'],
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

if (existsSync('scripts/bench.ts')) builds.push({ ...node, entryPoints: { bench: 'scripts/bench.ts' }, outdir: 'dist' });

mkdirSync('dist/webview', { recursive: true });
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
  const codicons = 'node_modules/@vscode/codicons/dist/codicon.css';
  if (existsSync(codicons)) {
    copyFileSync(codicons, 'dist/webview/codicon.css');
    copyFileSync('node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/webview/codicon.ttf');
  }
}
