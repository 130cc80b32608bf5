/**
 * The CLI's contract for bad input: exit 2 and exactly one line on stderr, under the default
 * backend choice too. Where Mesa's lavapipe is installed (CI), 'auto' asks Dawn for an adapter, and
 * Dawn, created in the CLI's process, printed two warnings of its own before that line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, it } from 'node:test';
import { repoRoot } from '../../helpers/repoRoot';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'el-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

for (const args of [[], ['--backend', 'wasm']]) {
  it(`a bad file gets exit 2 and one line on stderr${args.length ? ` (${args.join(' ')})` : ''}`, () => {
    const file = path.join(dir, 'bad.npy');
    writeFileSync(file, 'not numpy');
    const run = spawnSync(process.execPath, [cli, 'analyze', file, ...args], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 2, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^embedding-lens: .*bad\.npy: the file is not a numpy \.npy array[^\n]*\n$/);
  });
}
