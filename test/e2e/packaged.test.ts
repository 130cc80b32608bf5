/**
 * The extension as users get it: `npm run package` makes a .vsix, code-server installs it with
 * --install-extension, and the installed copy (not the checkout) analyses a file from the palette.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { codeServerEntry, repoRoot } from './codeServer';
import { analyzeJson, makeSampleWorkspace, type E2eWorkspace } from './sampleWorkspace';
import { cspViolations, openVscode, type VscodeHost } from './vscodeHost';
import { analyzeThroughPalette, numberAt, withScreenshotOnFailure } from './workbench';

const timeoutMs = 240000;
const root = repoRoot();
const vsix = path.join(root, 'embedding-lens.vsix');

let host: VscodeHost | undefined;
let ws: E2eWorkspace | undefined;
let extensions: string | undefined;

before(
  () => {
    rmSync(vsix, { force: true });
    execFileSync('npm', ['run', 'package'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    extensions = mkdtempSync(path.join(os.tmpdir(), 'embedding-lens-installed-'));
    const userData = mkdtempSync(path.join(os.tmpdir(), 'embedding-lens-install-user-'));
    execFileSync(
      process.execPath,
      [codeServerEntry(root), '--install-extension', vsix, '--extensions-dir', extensions, '--user-data-dir', userData, '--config', path.join(userData, 'config.yaml')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    rmSync(userData, { recursive: true, force: true });
  },
  { timeout: timeoutMs },
);

after(async () => {
  await host?.dispose();
  for (const dir of [ws?.dir, extensions]) if (dir) rmSync(dir, { recursive: true, force: true });
  // The production build that packaging made is minified without source maps: rebuild for the next run.
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root });
});

test('npm run package makes a .vsix that code-server installs', () => {
  assert.ok(existsSync(vsix), 'npm run package wrote no embedding-lens.vsix');
  assert.ok(extensions);
  const installed = readdirSync(extensions).filter((d) => d.startsWith('embedding-lens.embedding-lens-'));
  assert.equal(installed.length, 1, `installed extensions: ${readdirSync(extensions).join(', ')}`);
});

test('the installed extension analyses a file from the command palette', { timeout: timeoutMs }, async () => {
  assert.ok(extensions);
  ws = makeSampleWorkspace();
  host = await openVscode({ folder: ws.dir, extensionsDir: extensions });
  await withScreenshotOnFailure(host, 'packaged', async (h) => {
    assert.ok(ws);
    await analyzeThroughPalette(h, ws.checkpoint);
    const frame = await h.frameWith('[data-metric="modality_gap"][data-value]', 90000);
    const shown = Number(await frame.getAttribute('[data-metric="modality_gap"]', 'data-value'));
    const want = numberAt(analyzeJson(ws.checkpoint), 'modality_gap', "the CLI's JSON");
    assert.ok(Math.abs(shown - want) <= 1e-6, `modality gap: the installed extension shows ${shown}, the CLI prints ${want}`);
    assert.deepEqual(cspViolations(h.console), []);
  });
});
