/** The CLI's own options and commands, given bad input: exit 2 and one line naming the problem, never a hang. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { generateSample } from '../../../src/core/synthetic/sampleCheckpoint';
import { writeNpz } from '../../../src/core/writers';
import { repoRoot } from '../../helpers/repoRoot';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'el-cli-bad-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pairs = path.join(dir, 'pairs.npz');

before(async () => {
  const { image, text } = generateSample({ pairs: 60, dim: 16, seed: 3 });
  await writeNpz(pairs, {
    image_embeds: { shape: [60, 16], data: image.data },
    text_embeds: { shape: [60, 16], data: text.data },
  });
});

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000 });
}

function assertRefused(args: string[], line: RegExp): void {
  const r = run(...args);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^embedding-lens: [^\n]*\n$/);
  assert.match(r.stderr, line);
}

it('--sample takes an integer, and says so for a fraction as for any other bad value', () => {
  for (const v of ['2.5', 'lots', '1']) {
    assertRefused(
      ['analyze', pairs, '--backend', 'wasm', '--sample', v],
      new RegExp(
        `^embedding-lens: --sample must be an integer in \\[2, 2147483647\\], got ${v.replace('.', '\\.')} \\(try --help\\)\n$`,
      ),
    );
  }
});

it('--sample far past the pairs of a small file ends at once', () => {
  const r = run('analyze', pairs, '--backend', 'wasm', '--json', '--sample', '2147483647');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).estimates.uniformity.standard_error, 0);
  const text = run('analyze', pairs, '--backend', 'wasm', '--sample', '2147483647');
  assert.match(text.stdout, /uniformity \(image\)\s+\S+ \(exact: all 1770 pairs\)/);
});

it('a key naming no array is refused, not replaced by the default names', () => {
  assertRefused(
    ['analyze', pairs, '--backend', 'wasm', '--image-key', 'nope'],
    /pairs\.npz: --image-key 'nope' names no numeric array \(found image_embeds, text_embeds\)\n$/,
  );
  assertRefused(
    ['analyze', pairs, '--backend', 'wasm', '--image-key', 'image_embeds', '--text-key', 'txt'],
    /--text-key 'txt' names no numeric array/,
  );
  // A comma list gives alternatives: one that names an array is enough.
  const r = run('analyze', pairs, '--backend', 'wasm', '--json', '--image-key', 'nope,image_embeds');
  assert.equal(r.status, 0, r.stderr);
});

it('sample: a folder that cannot be made is named, with why', () => {
  const file = path.join(dir, 'a-file');
  writeFileSync(file, '');
  assertRefused(
    ['sample', path.join(file, 'sub')],
    /^embedding-lens: [^\n]*a-file[\\/]sub: cannot create the folder \(it, or a folder above it, is a file\)\n$/,
  );
});

const readOnlySkip =
  process.platform === 'win32'
    ? 'no POSIX modes on Windows'
    : process.getuid?.() === 0
      ? 'root writes into read-only folders'
      : false;
it('sample: a read-only parent folder', { skip: readOnlySkip }, () => {
  const parent = path.join(dir, 'read-only');
  mkdirSync(parent);
  chmodSync(parent, 0o555);
  assertRefused(
    ['sample', path.join(parent, 'sub')],
    /read-only[\\/]sub: cannot create the folder \(permission denied\)\n$/,
  );
});
