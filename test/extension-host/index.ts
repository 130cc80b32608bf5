/**
 * Runs inside the real extension host (code-server loads it through extensionTestsPath). The host's
 * own test reporting does not reach the e2e runner, so each check's outcome goes to the JSON file
 * named by EMBEDDING_LENS_E2E_RESULT, which test/e2e/extensionHost.test.ts reads.
 */
import { writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { hostChecks, hostEnv, type HostResult } from './protocol';

const extensionId = 'embedding-lens.embedding-lens';
const viewType = 'embeddingLens.checkpointEditor';
const commandIds = ['embeddingLens.analyze', 'embeddingLens.compare', 'embeddingLens.fineTune', 'embeddingLens.showBackend'];

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the extension host did not inherit the e2e environment`);
  return v;
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function customTab(file: string): vscode.Tab | undefined {
  for (const tab of vscode.window.tabGroups.all.flatMap((g) => g.tabs)) {
    const input = tab.input;
    if (input instanceof vscode.TabInputCustom && input.viewType === viewType && input.uri.fsPath === file) return tab;
  }
  return undefined;
}

async function openInCheckpointEditor(file: string): Promise<vscode.Tab> {
  await vscode.commands.executeCommand('vscode.openWith', vscode.Uri.file(file), viewType);
  return until(`a ${viewType} tab for ${file}`, 15000, () => customTab(file));
}

const checks: [string, () => Promise<void>][] = [
  [
    hostChecks.activates,
    async () => {
      const ext = vscode.extensions.getExtension(extensionId);
      if (!ext) throw new Error(`${extensionId} is not loaded`);
      await ext.activate();
    },
  ],
  [
    hostChecks.commands,
    async () => {
      const all = new Set(await vscode.commands.getCommands(true));
      const missing = commandIds.filter((id) => !all.has(id));
      if (missing.length) throw new Error(`not registered: ${missing.join(', ')}`);
    },
  ],
  [
    hostChecks.openWith,
    async () => {
      const tab = await openInCheckpointEditor(env(hostEnv.checkpoint));
      if (!tab.isActive) throw new Error('the checkpoint editor tab is not the active one');
    },
  ],
  [
    hostChecks.truncated,
    async () => {
      await openInCheckpointEditor(env(hostEnv.truncated));
      // Give the worker time to read and reject the file; a crash would end this very process.
      await new Promise((r) => setTimeout(r, 3000));
      if (!vscode.extensions.getExtension(extensionId)?.isActive) throw new Error('the extension is no longer active');
      const all = await vscode.commands.getCommands(true);
      if (!all.includes('embeddingLens.analyze')) throw new Error('embeddingLens.analyze vanished');
    },
  ],
];

export async function run(): Promise<void> {
  const resultFile = env(hostEnv.result);
  const result: HostResult = { checks: [], done: false };
  for (const [name, check] of checks) {
    try {
      await check();
      result.checks.push({ name, ok: true });
    } catch (err) {
      result.checks.push({ name, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
    writeFileSync(resultFile, JSON.stringify(result, null, 1));
  }
  result.done = true;
  writeFileSync(resultFile, JSON.stringify(result, null, 1));
  const failed = result.checks.filter((c) => !c.ok);
  if (failed.length) throw new Error(failed.map((c) => `${c.name}: ${c.error}`).join('\n'));
}
