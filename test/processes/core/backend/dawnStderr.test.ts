/**
 * Dawn's "artificially reduced" lines, printed by native code straight to fd 2 while requestAdapter
 * discovers the Vulkan devices, stay off the CLI's stderr; every other line written there still
 * gets through. Run in child processes, whose stderr is a pipe or a file as a user's would be.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { splitDawnStderr } from '../../../../src/core/backend/dawnStderr';
import { noWebGpuAdapter } from '../../../helpers/webgpu';
import { compiledSource } from '../../../helpers/repoRoot';

const note = (which: string, from: number) =>
  `Warning: maxDynamic${which}BuffersPerPipelineLayout artificially reduced from ${from} to 16 to fit dynamic offset allocation limit.`;
const moduleFile = (name: string) => JSON.stringify(compiledSource('core', 'backend', `${name}.js`));

/** Runs `code` in node with stdout and stderr into one pipe (`2>&1 | cat`), as a user's shell would. */
function throughPipe(code: string): string {
  const run = spawnSync('sh', ['-c', '"$0" -e "$1" 2>&1 | cat', process.execPath, code], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout;
}

describe("Dawn's limit notes", () => {
  it('are told apart from the other lines, which are kept as written', () => {
    const text = `error: XDG_RUNTIME_DIR is invalid\n${note('Uniform', 1000000)}\n${note('Storage', 1000000)}\nWarning: something else\nno newline`;
    assert.deepEqual(splitDawnStderr(text), {
      notes: [note('Uniform', 1000000), note('Storage', 1000000)],
      rest: 'error: XDG_RUNTIME_DIR is invalid\nWarning: something else\nno newline',
    });
    assert.deepEqual(splitDawnStderr(`${note('Uniform', 32)}\n`), { notes: [note('Uniform', 32)], rest: '' });
    assert.deepEqual(splitDawnStderr(''), { notes: [], rest: '' });
  });

  // fs.writeSync(2, …) writes to the descriptor, as Dawn's fprintf(stderr) does: console.warn is not involved.
  const code = `const { withoutDawnLimitNotes } = require(${moduleFile('dawnStderr')});
    process.stderr.write('before\\n');
    const { value, notes } = withoutDawnLimitNotes(() => {
      require('fs').writeSync(2, ${JSON.stringify(`${note('Uniform', 1000000)}\nkept line\n${note('Storage', 1000000)}\n`)});
      return 42;
    });
    process.stderr.write('after\\n');
    process.stdout.write(JSON.stringify({ value, notes }) + '\\n');`;

  it(
    'written to fd 2 by native code never reach a piped stderr; the other lines do, in order',
    { skip: process.platform !== 'linux' && 'Linux only' },
    () => {
      // Everything the child wrote, both streams, one line each: its stderr's three, then the result on stdout.
      const lines = throughPipe(code).trim().split('\n');
      assert.deepEqual(lines.slice(0, 3), ['before', 'kept line', 'after']);
      assert.equal(lines.length, 4);
      assert.deepEqual(JSON.parse(lines[3]), {
        value: 42,
        notes: [note('Uniform', 1000000), note('Storage', 1000000)],
      });
    },
  );

  it(
    'never reach a stderr redirected to a file, which keeps its other lines',
    { skip: process.platform !== 'linux' && 'Linux only' },
    () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dawn-log-'));
      const errFile = path.join(dir, 'stderr.txt');
      const fd = fs.openSync(errFile, 'w');
      try {
        const run = spawnSync(process.execPath, ['-e', code], {
          stdio: ['ignore', 'pipe', fd],
          encoding: 'utf8',
          timeout: 60_000,
        });
        assert.equal(run.status, 0);
        assert.equal(fs.readFileSync(errFile, 'utf8'), 'before\nkept line\nafter\n');
        assert.equal(JSON.parse(run.stdout).notes.length, 2);
      } finally {
        fs.closeSync(fd);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('from Dawn itself stay off stderr when the webgpu rung starts', async (t) => {
    const why = await noWebGpuAdapter();
    if (why) return t.skip(why);
    const out = throughPipe(`require(${moduleFile('webgpuRung')}).startWebGpu(true).then((s) => {
        process.stdout.write('adapter ' + s.detail + '; notes ' + (s.dawnNotes || []).length + '\\n');
        process.exit(0);
      }, (e) => { process.stdout.write('failed ' + e.message + '\\n'); process.exit(1); });`);
    t.diagnostic(out.trim());
    assert.match(out, /^adapter /m);
    assert.doesNotMatch(out, /artificially reduced/);
  });
});
