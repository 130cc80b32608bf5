/**
 * What a platform package does on the wrong machine, and a bundle whose wasm binaries are missing:
 * one line naming the package to install, and the backend ladder going on to the next rung.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { dawnNotPackaged, hostTarget, packageFor, targetMismatch } from '../../../src/core/backend/packageTarget';
import { loadWasmBackend } from '../../../src/core/backend/wasmBinaries';
import { repoRoot } from '../../helpers/repoRoot';

const dist = path.join(repoRoot, 'dist');
const dir = mkdtempSync(path.join(tmpdir(), 'el-packaging-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('package targets', () => {
  it('a package built for another platform says in one line which package to install', () => {
    const line = targetMismatch({ target: 'linux-x64', version: '0.1.0' }, 'darwin-arm64');
    assert.ok(line);
    assert.doesNotMatch(line, /\n/);
    assert.match(
      line,
      /built for linux-x64, and this machine is darwin-arm64: install embedding-lens-darwin-arm64-0\.1\.0\.vsix/,
    );
    // A platform Dawn has no build for takes the universal package.
    assert.match(
      targetMismatch({ target: 'linux-x64', version: '0.1.0' }, 'freebsd-x64') ?? '',
      /install embedding-lens-universal-0\.1\.0\.vsix/,
    );
  });

  it('the right package, the universal one and a checkout say nothing', () => {
    assert.equal(targetMismatch({ target: 'linux-x64', version: '0.1.0' }, 'linux-x64'), undefined);
    assert.equal(targetMismatch({ target: 'universal', version: '0.1.0' }, 'win32-arm64'), undefined);
    assert.equal(targetMismatch(undefined, 'linux-x64'), undefined);
  });

  it("the webgpu rung's reason names the package that carries Dawn", () => {
    assert.match(
      dawnNotPackaged({ target: 'universal', version: '0.1.0' }, 'darwin-x64') ?? '',
      /^not in this package \(the universal package carries no Dawn; install embedding-lens-darwin-x64-0\.1\.0\.vsix/,
    );
    assert.match(
      dawnNotPackaged({ target: 'win32-x64', version: '0.1.0' }, 'linux-arm64') ?? '',
      /^not in this package \(built for win32-x64; install embedding-lens-linux-arm64-0\.1\.0\.vsix\)$/,
    );
    assert.match(
      dawnNotPackaged({ target: 'universal', version: '0.1.0' }, 'linux-ppc64') ?? '',
      /Dawn has no build for linux-ppc64/,
    );
    assert.equal(dawnNotPackaged(undefined, 'linux-x64'), undefined);
    assert.equal(packageFor('darwin-arm64', ''), 'embedding-lens-darwin-arm64.vsix');
  });
});

describe('wasm binaries', () => {
  it('a folder without them is refused with the missing file named', async () => {
    await assert.rejects(loadWasmBackend(dir), /its binary .*tfjs-backend-wasm(-simd)?\.wasm is missing/);
  });

  it('the bundled CLI without its wasm binaries or Dawn climbs down to cpu and says why, and still analyses', () => {
    // The bundles alone, as a broken install would have them; target.json of another platform.
    for (const f of ['cli.js', 'worker.js', 'blockWorker.js']) copyFileSync(path.join(dist, f), path.join(dir, f));
    const other = hostTarget() === 'win32-arm64' ? 'linux-x64' : 'win32-arm64';
    writeFileSync(path.join(dir, 'target.json'), JSON.stringify({ target: other, version: '0.1.0' }));
    const r = spawnSync(process.execPath, [path.join(dir, 'cli.js'), 'backend'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^cpu: /);
    assert.match(r.stdout, /not used: wasm: its binary .*tfjs-backend-wasm(-simd)?\.wasm is missing\n/);
    assert.match(
      r.stdout,
      new RegExp(
        `not used: webgpu: not in this package \\(built for ${other}; install ${packageFor(hostTarget(), '0.1.0').replace(/\./g, '\\.')}\\)`,
      ),
    );
    const sample = path.join(dir, 'sample');
    assert.equal(spawnSync(process.execPath, [path.join(dist, 'cli.js'), 'sample', sample]).status, 0);
    const analyzed = spawnSync(
      process.execPath,
      [path.join(dir, 'cli.js'), 'analyze', path.join(sample, 'clip-sample.npy'), '--json'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(analyzed.status, 0, analyzed.stderr);
    const gap = (JSON.parse(analyzed.stdout) as { modality_gap: number }).modality_gap;
    assert.ok(gap > 0.8 && gap < 0.9, `modality gap ${gap}`);
  });
});

describe('Marketplace manifest', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    icon: string;
    galleryBanner: { color: string; theme: string };
    categories: string[];
    keywords: string[];
    engines: { vscode: string };
    extensionKind: string[];
    license: string;
    contributes: {
      commands: { command: string }[];
      walkthroughs: {
        id: string;
        steps: { id: string; media: { markdown?: string; image?: string }; completionEvents: string[] }[];
      }[];
    };
  };

  it('states the icon (a 128×128 PNG), banner, categories, keywords, engine, extension kind and licence', () => {
    const png = readFileSync(path.join(repoRoot, pkg.icon));
    assert.equal(png.subarray(1, 4).toString('ascii'), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128]);
    assert.match(pkg.galleryBanner.color, /^#[0-9a-f]{6}$/i);
    assert.ok(['dark', 'light'].includes(pkg.galleryBanner.theme));
    assert.ok(pkg.categories.length > 0 && pkg.keywords.length > 0 && pkg.keywords.length <= 30);
    assert.match(pkg.engines.vscode, /^\^1\.\d+\.0$/);
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    assert.equal(pkg.license, 'MIT');
    assert.match(readFileSync(path.join(repoRoot, 'LICENSE'), 'utf8'), /^MIT License/);
    assert.match(readFileSync(path.join(repoRoot, 'CHANGELOG.md'), 'utf8'), /^# Changelog\n[\s\S]*## 0\.1\.0/);
  });

  it('has a walkthrough whose steps complete on contributed commands and have their media', () => {
    const [walk] = pkg.contributes.walkthroughs;
    assert.deepEqual(
      walk.steps.map((s) => s.id),
      ['writeSample', 'analyze', 'compare', 'fineTune'],
    );
    const commands = new Set(pkg.contributes.commands.map((c) => c.command));
    for (const step of walk.steps) {
      assert.ok(step.completionEvents.length > 0, `${step.id} has no completion event`);
      for (const e of step.completionEvents) {
        const m = /^onCommand:(.+)$/.exec(e);
        assert.ok(m && commands.has(m[1]), `${step.id}: ${e} is not a contributed command`);
      }
      const media = step.media.markdown ?? step.media.image;
      assert.ok(media && existsSync(path.join(repoRoot, media)), `${step.id}: media ${media} is missing`);
    }
  });
});
