/**
 * `embedding-lens train` on the torch engine as a user runs it (the built CLI in its own process),
 * against the scripted engine of test/fixtures/fake_engine: its output, exit codes and Ctrl-C.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { noScriptedEnginePython, scriptedEngineDir, scriptedEnginePython } from '../../helpers/scriptedEngine';
import { repoRoot } from '../../helpers/repoRoot';

const cli = path.join(repoRoot, 'dist', 'cli.js');
const fake = scriptedEngineDir;
const python = scriptedEnginePython;
const noPython = noScriptedEnginePython;

const dir = mkdtempSync(path.join(tmpdir(), 'el-cli-torch-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const configFile = path.join(dir, 'fake.m2mix.json');
writeFileSync(configFile, JSON.stringify({ train: 'a.npy', eval: 'b.npy', engine: 'torch' }));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cliRun(
  args: string[],
  scenario: string,
  whenStdout?: { includes: string; then(child: ReturnType<typeof spawn>): void },
): Promise<Ran> {
  const child = spawn(process.execPath, [cli, ...args, '--python', python], {
    env: { ...process.env, EMBEDDING_LENS_PYTHON_PACKAGE: fake, FAKE_ENGINE: scenario },
  });
  let stdout = '';
  let stderr = '';
  let triggered = false;
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
    if (whenStdout && !triggered && stdout.includes(whenStdout.includes)) {
      triggered = true;
      whenStdout.then(child);
    }
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('embedding-lens train on the torch engine (scripted engine)', { skip: noPython }, () => {
  it('prints the step and eval events, the notes on stderr, and the summary', async () => {
    const r = await cliRun(['train', configFile, '--json'], 'complete');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; status?: string });
    assert.deepEqual(
      lines.map((l) => l.type),
      ['step', 'step', 'step', 'eval', 'summary'],
    );
    assert.equal(lines.at(-1)!.status, 'completed');
    assert.equal(
      r.stderr,
      'embedding-lens: fake engine\nembedding-lens: froze 3 parameters\n',
      "the engine's own output only with --verbose",
    );
  });

  it('Ctrl-C cancels: the ranks stop at a step boundary, exit 130', async () => {
    const r = await cliRun(['train', configFile, '--json', '--devices', '2'], 'until-cancelled', {
      includes: '"step":2',
      then: (c) => c.kill('SIGINT'),
    });
    assert.equal(r.code, 130, r.stderr);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { type: string; status: string };
    assert.deepEqual([summary.type, summary.status], ['summary', 'cancelled']);
    assert.match(r.stderr, /^embedding-lens: fake engine\nembedding-lens: cancelled at step \d+\n$/);
  });

  it('a failing rank ends the run with its one line, exit 1; an input error with exit 2', async () => {
    const failed = await cliRun(['train', configFile], 'raise');
    assert.equal(failed.code, 1);
    assert.equal(failed.stderr, 'embedding-lens: fake engine\nembedding-lens: rank 0: ValueError: boom\n');
    const input = await cliRun(['train', configFile], 'input-error');
    assert.equal(input.code, 2);
    assert.equal(input.stderr, "embedding-lens: fake engine\nembedding-lens: data.csv: has no column 'title'\n");
    const verbose = await cliRun(['train', configFile, '--verbose'], 'raise');
    assert.match(verbose.stderr, /Traceback \(most recent call last\):/);
  });

  it("--print-launch prints the ranks' command, --slurm writes a script, neither runs anything", async () => {
    const printed = await cliRun(['train', configFile, '--print-launch', '--devices', '2'], 'raise');
    assert.equal(printed.code, 0, printed.stderr);
    assert.equal(
      printed.stdout,
      `PYTHONPATH=${fake} ${python} -m torch.distributed.run --standalone --nproc_per_node 2 --redirects 9:1 --tee 9:1 -m embedding_lens train ${configFile} --overrides '{"devices":2}'\n`,
    );
    const script = path.join(dir, 'job.sbatch');
    const slurm = await cliRun(['train', configFile, '--slurm', script], 'raise');
    assert.equal(slurm.code, 0, slurm.stderr);
    assert.match(execFileSync('cat', [script]).toString(), /^#!\/bin\/bash\n#SBATCH --job-name=fake\n/);
    const noFile = await cliRun(
      ['train', '--train', 'a.npy', '--eval', 'b.npy', '--engine', 'torch', '--print-launch'],
      'raise',
    );
    assert.equal(noFile.code, 2);
    assert.match(
      noFile.stderr,
      /^embedding-lens: --print-launch and --slurm need a CONFIG\.m2mix\.json: the ranks read it\n$/,
    );
  });

  it('embed writes the file the engine reports', async () => {
    const out = path.join(dir, 'emb.safetensors');
    const r = await cliRun(
      ['embed', '--model', '{"openClip": "ViT-B-32"}', '--data', path.join(dir, 'd.csv'), '--out', out],
      'complete',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `wrote ${out}: 3 images, 6 captions\n`);
  });
});
