#!/usr/bin/env node
// npm run readme-images: regenerates the README's images of every view (media/readme/*.png) from the
// end-to-end run. It runs test/e2e/readmeImages.test.ts alone (code-server with the sample workspace,
// driven by Playwright, in a 1366 × 768 window), which writes test-results/readme/NAME.png, and copies
// those into media/readme/ only when every one was taken. The e2e tier (npm test) takes the same
// images on every run, into test-results/readme/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

if (!existsSync(path.join(root, 'node_modules'))) run('npm', ['install', '--no-audit', '--no-fund']);
run('bash', ['scripts/setup-vscode-host.sh']);
run(process.execPath, ['scripts/build.mjs']);
run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.test.json']);

const { readmeImages, readmeImagesFolder } = createRequire(import.meta.url)(
  path.join(root, 'out', 'test', 'e2e', 'readmeImageList.js'),
);
const from = path.join(root, ...readmeImagesFolder);
const to = path.join(root, 'media', 'readme');

try {
  run(process.execPath, [
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    'out/test/e2e/readmeImages.test.js',
  ]);
} catch {
  console.error(
    `readme-images: the capture failed; ${path.relative(root, to)} is left as it was (this run's images, if any: ${path.relative(root, from)})`,
  );
  process.exit(1);
}

const names = Object.keys(readmeImages);
const missing = names.filter((n) => !existsSync(path.join(from, `${n}.png`)));
if (missing.length) {
  console.error(`readme-images: not taken: ${missing.join(', ')}`);
  process.exit(1);
}
mkdirSync(to, { recursive: true });
for (const f of readdirSync(to)) if (f.endsWith('.png') && !names.includes(f.slice(0, -4))) rmSync(path.join(to, f));
let bytes = 0;
for (const n of names) {
  copyFileSync(path.join(from, `${n}.png`), path.join(to, `${n}.png`));
  const size = statSync(path.join(to, `${n}.png`)).size;
  bytes += size;
  console.log(`media/readme/${n}.png  ${(size / 1024).toFixed(0)} KiB  ${readmeImages[n]}`);
}
console.log(`${names.length} images, ${(bytes / 1024 / 1024).toFixed(2)} MiB in all`);

const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const unshown = names.filter((n) => !readme.includes(`media/readme/${n}.png`));
if (unshown.length) {
  console.error(`readme-images: README.md does not show ${unshown.map((n) => `media/readme/${n}.png`).join(', ')}`);
  process.exit(1);
}
