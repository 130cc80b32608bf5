/**
 * Runs inside the real extension host (code-server loads it through extensionTestsPath). The host's
 * own test reporting does not reach the e2e runner, so each check's outcome goes to the JSON file
 * named by EMBEDDING_LENS_E2E_RESULT, which test/e2e/extensionHost.test.ts reads.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as inspector from 'node:inspector';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { AnalysisResult } from '../../src/core/metrics/types';
import { hostChecks, hostEnv, largePairs, rendezvous, type HostResult, type Rendezvous } from './protocol';

const extensionId = 'embedding-lens.embedding-lens';
const viewType = 'embeddingLens.checkpointEditor';
const commandIds = [
  'embeddingLens.analyze',
  'embeddingLens.compare',
  'embeddingLens.fineTune',
  'embeddingLens.showBackend',
];

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: the extension host did not inherit the e2e environment`);
  return v;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/** Figures a check measured; the runner prints them and asserts on them. */
type Measured = Record<string, number>;

const result: HostResult = { checks: [], done: false };

function save(): void {
  writeFileSync(env(hostEnv.result), JSON.stringify(result, null, 1));
}

/** Waits until the runner has done its part of `point` in the workbench (see protocol.ts). */
async function meet(point: Rendezvous, timeoutMs: number): Promise<void> {
  const ack = env(hostEnv.ack);
  result.awaiting = point;
  save();
  try {
    await until(`the runner's side of '${point}'`, timeoutMs, () =>
      existsSync(ack) && readFileSync(ack, 'utf8').split('\n').includes(point) ? true : undefined,
    );
  } finally {
    result.awaiting = undefined;
    save();
  }
}

type Analyzed = (AnalysisResult | undefined)[] | undefined;

function analyze(file: string): Thenable<Analyzed> {
  return vscode.commands.executeCommand<Analyzed>('embeddingLens.analyze', vscode.Uri.file(file));
}

/** The probe's period: a timer every 5 ms, so a block of S ms shows as a timer S to S + 5 ms late. */
const probePeriodMs = 5;

/**
 * Milliseconds this (the event loop's) thread has waited runnable for a CPU, from Linux's schedstat
 * run_delay, which the kernel settles each time the thread gets a core back, so it is exact whenever
 * the thread itself reads it. 0 where there is no schedstat: every late timer then counts as blocking.
 */
function waitedForCpu(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6 || 0;
  } catch {
    return 0;
  }
}

/**
 * Runs `body` under a timer-lateness probe. Each late timer's lateness, less the time the thread
 * waited for a CPU meanwhile (other processes had both cores), is how long the host blocked its own
 * event loop: JS, GC, a structured clone, a synchronous syscall.
 */
async function watchEventLoop<T>(m: Measured, body: () => Promise<T>): Promise<T> {
  const lates: number[] = [];
  let worst = { late: 0, waiting: 0 };
  let worstBusy = { ms: 0, endUs: 0, after: 0 };
  let prev = { at: performance.now(), waited: waitedForCpu() };
  const start = prev.at;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    const now = { at: performance.now(), waited: waitedForCpu() };
    const late = Math.max(0, now.at - prev.at - probePeriodMs);
    const waiting = now.waited - prev.waited;
    lates.push(late);
    if (late > worst.late) worst = { late, waiting };
    // endUs: CLOCK_MONOTONIC in µs, the clock of a .cpuprofile's timestamps.
    if (late - waiting > worstBusy.ms)
      worstBusy = { ms: late - waiting, endUs: Number(process.hrtime.bigint() / 1000n), after: now.at - start };
    prev = now;
    timer = setTimeout(tick, probePeriodMs);
  };
  timer = setTimeout(tick, probePeriodMs);
  let result: T;
  try {
    result = await body();
  } finally {
    clearTimeout(timer);
  }
  if (lates.length === 0) throw new Error('the event-loop probe recorded no samples');
  lates.sort((a, b) => a - b);
  m.worstStallMs = worst.late;
  m.worstStallWaitingMs = worst.waiting;
  m.worstBusyStallMs = worstBusy.ms;
  m.worstBusyStallEndUs = worstBusy.endUs;
  m.worstBusyStallEndAfterMs = worstBusy.after;
  m.p99StallMs = lates[Math.min(lates.length - 1, Math.floor(lates.length * 0.99))];
  m.probeSamples = lates.length;
  return result;
}

/** Keeps the thread busy until it has run `ms` on a CPU, however loaded the box is. */
function blockFor(ms: number): void {
  const t0 = performance.now();
  const w0 = waitedForCpu();
  while (performance.now() - t0 - (waitedForCpu() - w0) < ms);
}

/**
 * With EMBEDDING_LENS_E2E_PROFILE=DIR (passed through by the runner), writes DIR/NAME.cpuprofile of
 * the event-loop thread: where to look when a stall shows up.
 */
async function profiled<T>(name: string, body: () => Promise<T>): Promise<T> {
  const dir = process.env[hostEnv.profile];
  if (!dir) return body();
  const session = new inspector.Session();
  session.connect();
  const post = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))),
    );
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 500 });
  await post('Profiler.start');
  try {
    return await body();
  } finally {
    const { profile } = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

/** Analyses `file` through the command under the probe; it must resolve to the metrics of `pairs` pairs. */
async function analyzeWatched(file: string, pairs: number, m: Measured): Promise<void> {
  // The profiler starts before the probe: its start alone blocks the thread for tens of ms.
  const value = await profiled(`analysis-${pairs}`, () =>
    watchEventLoop(m, async () => {
      const t0 = performance.now();
      const v = await analyze(file);
      m.analysisMs = performance.now() - t0;
      // What the host does just after (the snapshot reaching the panel) still counts.
      await sleep(500);
      return v;
    }),
  );
  const metrics = value?.[0];
  if (!Array.isArray(value) || value.length !== 1 || !metrics)
    throw new Error(`the command resolved to ${JSON.stringify(value)?.slice(0, 200)}, not one AnalysisResult`);
  if (metrics.n !== pairs || typeof metrics.i2t?.['R@1'] !== 'number')
    throw new Error(`the metrics are not those of ${pairs} pairs: n = ${metrics.n}`);
}

const checks: [string, (m: Measured) => Promise<void>][] = [
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
  [
    hostChecks.probe,
    async (m) => {
      // The probe must see a block it is meant to catch, or its silence below would prove nothing.
      await watchEventLoop(m, async () => {
        await sleep(50);
        blockFor(80);
        await sleep(50);
      });
      if (m.worstBusyStallMs < 70)
        throw new Error(`a deliberate 80 ms block showed as ${m.worstBusyStallMs.toFixed(1)} ms on the CPU`);
    },
  ],
  [hostChecks.analyzeSample, (m) => analyzeWatched(env(hostEnv.checkpoint), 500, m)],
  [
    hostChecks.exportCommands,
    async (m) => {
      // The sample's panel, which the previous check opened, is the active editor.
      const dir = path.join(path.dirname(env(hostEnv.checkpoint)), 'exports');
      const target = (name: string) => vscode.Uri.file(path.join(dir, name));
      const run = (command: string, options: object) =>
        vscode.commands.executeCommand<vscode.Uri | undefined>(`embeddingLens.${command}`, options);
      const written = async (command: string, name: string, options: object = {}): Promise<Buffer> => {
        const uri = await run(command, { ...options, target: target(name) });
        if (uri?.fsPath !== target(name).fsPath)
          throw new Error(`${command} resolved to ${uri?.fsPath}, not the target ${name}: see the error notification`);
        return readFileSync(uri.fsPath);
      };
      const json = JSON.parse((await written('exportMetricsJson', 'metrics.json')).toString()) as AnalysisResult;
      if (json.n !== 500 || typeof json.i2t?.['R@1'] !== 'number')
        throw new Error(`metrics.json holds n = ${json.n}, not the 500-pair sample's metrics`);
      const csv = (await written('exportMetricsCsv', 'metrics.csv')).toString().split('\n');
      if (csv[0] !== 'metric,value' || !csv.includes(`i2t.R@1,${json.i2t['R@1']}`))
        throw new Error(`metrics.csv does not hold the JSON's figures: ${csv.slice(0, 3).join(' | ')}`);
      const png = await written('exportChartPng', 'scatter.png', { chart: 'scatter' });
      m.pngBytes = png.length;
      if (
        !png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ||
        png.length < 10000
      )
        throw new Error(`scatter.png is not a drawn PNG (${png.length} bytes)`);
      const svg = (await written('exportChartSvg', 'histogram.svg', { chart: 'histogram' })).toString();
      if (!/^<svg[\s\S]*<path[\s\S]*<\/svg>$/.test(svg))
        throw new Error(`histogram.svg is not a drawn SVG: ${svg.slice(0, 80)}`);
      // A chart the view does not have is refused (the command reports it), and nothing is written.
      if (
        (await run('exportChartSvg', { chart: 'plane', target: target('plane.svg') })) !== undefined ||
        existsSync(target('plane.svg').fsPath)
      )
        throw new Error('exporting a chart the analysis view lacks wrote a file');
    },
  ],
  [
    hostChecks.cancel,
    async (m) => {
      const settled = analyze(env(hostEnv.cancel)).then(
        (value) => ({ value, at: Date.now() }),
        (err: unknown) => ({ err, at: Date.now() }),
      );
      m.startedAt = Date.now();
      // The runner clicks the panel's Cancel (noting when), checks the panel, then lets us go on.
      await meet(rendezvous.cancel, 120000);
      const s = await Promise.race([settled, sleep(60000).then(() => undefined)]);
      if (!s) throw new Error('the command had not resolved 60 s after the runner cancelled it');
      m.resolvedAt = s.at;
      if ('err' in s) throw new Error(`the command rejected: ${String(s.err)}`);
      const v = s.value;
      if (!Array.isArray(v) || v.length !== 1 || v[0] !== undefined)
        throw new Error(`the command resolved to ${JSON.stringify(v)?.slice(0, 200)}, not [undefined]`);
    },
  ],
  [hostChecks.analyzeLarge, (m) => analyzeWatched(env(hostEnv.large), largePairs, m)],
];

export async function run(): Promise<void> {
  for (const [name, check] of checks) {
    const measured: Measured = {};
    try {
      await check(measured);
      result.checks.push({ name, ok: true, measured });
    } catch (err) {
      result.checks.push({ name, ok: false, error: err instanceof Error ? err.message : String(err), measured });
    }
    save();
  }
  result.done = true;
  save();
  const failed = result.checks.filter((c) => !c.ok);
  if (failed.length) throw new Error(failed.map((c) => `${c.name}: ${c.error}`).join('\n'));
}
