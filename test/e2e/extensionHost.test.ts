/**
 * Runs test/extension-host/index.ts inside the real extension host of code-server and reads back its
 * per-check results. The host exits once run() returns, so webview checks live in analyze.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { hostChecks, hostEnv, type HostResult } from '../extension-host/protocol';
import { makeSampleWorkspace } from './sampleWorkspace';
import { openVscode, type VscodeHost } from './vscodeHost';

/** Workbench (~7 s), activation, two editors and the 3 s crash watch, with room for a slow box. */
const hostTimeoutMs = 90000;

let host: VscodeHost | undefined;
let result: HostResult | undefined;
let workspace: string | undefined;

async function readResult(file: string, timeoutMs: number): Promise<HostResult> {
  const deadline = Date.now() + timeoutMs;
  let last: HostResult | undefined;
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      try {
        last = JSON.parse(readFileSync(file, 'utf8')) as HostResult;
        if (last.done) return last;
      } catch {
        // caught mid-write; read again
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const reached = last ? `; checks so far: ${JSON.stringify(last.checks)}` : '; it never wrote a result';
  throw new Error(`the extension-host tests did not finish within ${timeoutMs / 1000} s${reached}`);
}

before(
  async () => {
    const { dir, checkpoint, truncated } = makeSampleWorkspace();
    workspace = dir;
    const resultFile = path.join(dir, '.host-result.json');
    host = await openVscode({
      folder: dir,
      extensionTestsPath: path.resolve(__dirname, '..', 'extension-host', 'index.js'),
      env: { [hostEnv.result]: resultFile, [hostEnv.checkpoint]: checkpoint, [hostEnv.truncated]: truncated },
    });
    try {
      result = await readResult(resultFile, hostTimeoutMs);
    } catch (err) {
      await host.screenshot('extension-host-failure');
      throw new Error(`${(err as Error).message}\n--- code-server output ---\n${host.server.output()}`);
    }
  },
  { timeout: hostTimeoutMs + 60000 },
);

after(async () => {
  await host?.dispose();
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

for (const name of Object.values(hostChecks)) {
  test(`in the extension host: ${name}`, () => {
    const check = result?.checks.find((c) => c.name === name);
    assert.ok(check, `the extension host reported no check named '${name}'`);
    assert.ok(check.ok, check.error);
  });
}
