/**
 * Starts code-server (installed by scripts/setup-vscode-host.sh) with this repository loaded as the
 * extension under development. Shared by the e2e tier and `npm run demo`; run directly, it serves a
 * folder until interrupted:  node out/test/e2e/codeServer.js FOLDER [--port N]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../helpers/repoRoot';

export interface CodeServerOptions {
  /** The workspace folder to open. */
  folder: string;
  /** Compiled test module whose run() the extension host executes (see test/extension-host). */
  extensionTestsPath?: string;
  /** Extra environment for code-server, inherited by the extension host it spawns. */
  env?: Record<string, string>;
  /** 0 or absent: a free loopback port. */
  port?: number;
  /**
   * Extensions installed here (`--install-extension` a .vsix into it first) instead of a temp folder;
   * with it, the checkout is not loaded as the extension under development.
   */
  extensionsDir?: string;
  startTimeoutMs?: number;
}

export interface CodeServer {
  port: number;
  /** Opens the folder with the extension under development (and the tests, when given). */
  url: string;
  /** code-server's stdout and stderr so far, for failure messages. */
  output(): string;
  dispose(): Promise<void>;
}

export function codeServerEntry(root = repoRoot): string {
  return path.join(root, '.tools', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Quiets what would otherwise cover the editor area or reach for the network on first start. */
const userSettings = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  // A remote extension host scans for ports to forward by exec()ing `ls`/`ps` every few seconds; each
  // fork blocks its event loop for as long as copying the process takes (up to ~300 ms seen while our
  // compute worker, which lives in that process, was busy). Desktop VS Code does not scan.
  'remote.autoForwardPorts': false,
  'remote.autoForwardPortsSource': 'output',
  'telemetry.telemetryLevel': 'off',
};

async function waitForHealth(port: number, deadline: number, exited: () => string | undefined): Promise<void> {
  for (;;) {
    const why = exited();
    if (why) throw new Error(why);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServer> {
  const root = repoRoot;
  const entry = codeServerEntry(root);
  if (!existsSync(entry)) throw new Error(`code-server is not installed (${entry}): run scripts/setup-vscode-host.sh`);
  const port = opts.port || (await freePort());
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'embedding-lens-vscode-'));
  const userData = path.join(tmp, 'user-data');
  mkdirSync(path.join(userData, 'User'), { recursive: true });
  writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(userSettings, null, 2));
  // Without --config, code-server writes a default one into ~/.config on first start.
  const config = path.join(tmp, 'config.yaml');
  writeFileSync(config, '');

  const child = spawn(
    process.execPath,
    [
      entry,
      '--config',
      config,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-workspace-trust',
      '--disable-update-check',
      '--user-data-dir',
      userData,
      '--extensions-dir',
      opts.extensionsDir ?? path.join(tmp, 'extensions'),
      opts.folder,
    ],
    // Own process group, so dispose() also ends the extension host and the other helpers.
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // code-server takes $PORT over --bind-addr's port (npm run demo reads PORT, and may pass 0).
      env: { ...process.env, PORT: undefined, ...opts.env },
    },
  );
  let log = '';
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exitedWith: string | undefined;
  child.once('exit', (code, signal) => {
    exitedWith = `code-server exited (${signal ?? code}) before it was disposed`;
  });
  // A test runner that dies on an uncaught error still must not leave code-server behind.
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killGroup);

  const dispose = async () => {
    process.removeListener('exit', killGroup);
    if (exitedWith === undefined && child.pid) {
      const gone = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(killGroup, 3000);
      await gone;
      clearTimeout(timer);
    }
    killGroup(); // helpers that ignored SIGTERM
    rmSync(tmp, { recursive: true, force: true });
  };

  try {
    await waitForHealth(port, Date.now() + (opts.startTimeoutMs ?? 30000), () => exitedWith);
  } catch (err) {
    await dispose();
    throw new Error(`${(err as Error).message}\n--- code-server output ---\n${log}`);
  }

  const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload: [string, string][] = opts.extensionsDir ? [] : [['extensionDevelopmentPath', remote(root)]];
  if (opts.extensionTestsPath) payload.push(['extensionTestsPath', remote(opts.extensionTestsPath)]);
  const url =
    `http://127.0.0.1:${port}/?folder=${encodeURIComponent(opts.folder)}` +
    `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return { port, url, output: () => log, dispose };
}

async function main(argv: string[]): Promise<void> {
  const portAt = argv.indexOf('--port');
  const port = portAt >= 0 ? Number(argv[portAt + 1]) : 0;
  const folder = argv.find((a, i) => !a.startsWith('--') && argv[i - 1] !== '--port');
  if (!folder || !Number.isInteger(port)) throw new Error('usage: node out/test/e2e/codeServer.js FOLDER [--port N]');
  const server = await startCodeServer({ folder: path.resolve(folder), port });
  process.stdout.write(`Embedding Lens in VS Code: ${server.url}\n(Ctrl+C stops it)\n`);
  const stop = () => void server.dispose().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
}
