// `npm run package`: one .vsix per platform Dawn ships (VS Code's --target names), each carrying only
// its own Dawn build, plus a universal one without Dawn (the webgpu rung then says which package to
// install and the ladder goes on). Everything else is the same in all: the esbuild bundles
// (TensorFlow.js included), tfjs-backend-wasm's binaries beside them, the webview, the schemas and
// python/embedding_lens (.vscodeignore is an allow-list; node_modules never travel).
//
//   node scripts/package.mjs [--targets linux-x64,universal] [--out DIR] [--no-build]
//
// Writes DIR/embedding-lens-<target>-<version>.vsix (DIR: packages/) and prints each package's size
// and file count. Per target it stages dist/dawn/<dawn folder>/ and dist/target.json, and removes
// both at the end, so the checkout's dist/ stays a development build's.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** VS Code's target -> the folder of node_modules/webgpu/dist/ it carries (macOS: the universal binary). */
const dawnFolders = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'darwin-x64': 'darwin-universal',
  'darwin-arm64': 'darwin-universal',
  'win32-x64': 'win32-x64',
  'win32-arm64': 'win32-arm64',
};
const allTargets = [...Object.keys(dawnFolders), 'universal'];

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const targets = (option('--targets') ?? allTargets.join(',')).split(',').filter(Boolean);
for (const t of targets)
  if (!allTargets.includes(t)) throw new Error(`unknown target ${t} (targets: ${allTargets.join(', ')})`);
const outDir = path.resolve(option('--out') ?? 'packages');
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

if (!args.includes('--no-build'))
  execFileSync(process.execPath, ['scripts/build.mjs', '--production'], { stdio: 'inherit' });
mkdirSync(outDir, { recursive: true });

const vsce = path.join('node_modules', '@vscode', 'vsce', 'vsce');
const staged = ['dist/dawn', 'dist/target.json'];
const unstage = () => {
  for (const p of staged) rmSync(p, { recursive: true, force: true });
};

/** Entries of a zip file, from its end-of-central-directory record. */
function zipEntries(file) {
  const buf = readFileSync(file);
  for (let i = buf.length - 22; i >= 0; i--) if (buf.readUInt32LE(i) === 0x06054b50) return buf.readUInt16LE(i + 10);
  throw new Error(`${file} is not a zip`);
}

const made = [];
try {
  for (const target of targets) {
    unstage();
    const dawn = dawnFolders[target];
    if (dawn)
      cpSync(path.join('node_modules', 'webgpu', 'dist', dawn), path.join('dist', 'dawn', dawn), { recursive: true });
    writeFileSync('dist/target.json', JSON.stringify({ target, version }) + '\n');
    const out = path.join(outDir, `embedding-lens-${target}-${version}.vsix`);
    rmSync(out, { force: true });
    const targetArgs = target === 'universal' ? [] : ['--target', target];
    // --no-dependencies: the bundles need no node_modules. Relative README links stay relative: the
    // repository URL is a placeholder, and VS Code resolves them inside the installed package.
    const run = spawnSync(
      process.execPath,
      [vsce, 'package', ...targetArgs, '--no-dependencies', '--no-rewrite-relative-links', '-o', out],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    if (run.status !== 0)
      throw new Error(
        `vsce package --target ${target} failed (${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`,
      );
    // vsce writes its warnings (and questions, which stdin 'ignore' answers no) to stderr.
    const warnings = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => /WARNING|\?\s*\[y\/N\]/i.test(l));
    made.push({ target, file: out, bytes: statSync(out).size, entries: zipEntries(out), warnings });
  }
} finally {
  unstage();
}

for (const m of made) {
  process.stdout.write(
    `${path.relative(process.cwd(), m.file)}: ${(m.bytes / 1e6).toFixed(1)} MB, ${m.entries} files${m.warnings.length ? `\n  ${m.warnings.join('\n  ')}` : ''}\n`,
  );
}
if (made.some((m) => m.warnings.length)) process.exitCode = 1;
