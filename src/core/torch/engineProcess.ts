/**
 * One run of the torch engine as a child process group: its event lines parsed, every other line
 * passed on, and a cancel that reaches every rank. The ranks stop at a step boundary when the cancel
 * file appears (python/README.md); a group that has not exited a grace period later gets SIGTERM,
 * then SIGKILL. Its own process group: torchrun's ranks are its children, and a signal to the group
 * reaches ranks that torchrun itself could no longer stop.
 */
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import type { CancelToken } from '../util/cancel';
import type { EngineCommand } from './launch';
import { engineEnv } from './python';

export const eventPrefix = '@embedding-lens ';

/** An event line's JSON; engine.ts narrows it by `type`. */
export interface EngineEvent {
  type: string;
  [key: string]: unknown;
}

export interface EngineProcessOptions {
  /** Created on cancel; the caller owns its folder and removes it. */
  cancelFile: string;
  token?: CancelToken;
  onEvent(e: EngineEvent): void;
  onLog?(line: string, stream: 'stdout' | 'stderr'): void;
  /** After a cancel, how long the ranks get to reach a step boundary before SIGTERM (default 30 s). */
  stopGraceMs?: number;
  /** After SIGTERM, how long before SIGKILL (default 5 s). */
  killGraceMs?: number;
}

export interface EngineExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The token asked for a cancel while it ran. */
  cancelled: boolean;
  /** The spawn itself failed (ENOENT: no such interpreter). */
  spawnError?: NodeJS.ErrnoException;
  lastStderrLine: string;
  /** A line of stderr said a socket's address was taken: a rendezvous port in use. */
  addressInUse: boolean;
}

const cancelPollMs = 100;

/** Calls `onLine` for each complete line of a stream, and for an unterminated last one at its end. */
function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    for (const p of parts) onLine(p.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
  });
}

function parseEvent(line: string): EngineEvent | undefined {
  if (!line.startsWith(eventPrefix)) return undefined;
  try {
    const e = JSON.parse(line.slice(eventPrefix.length)) as unknown;
    return e !== null && typeof e === 'object' && typeof (e as EngineEvent).type === 'string'
      ? (e as EngineEvent)
      : undefined;
  } catch {
    return undefined;
  }
}

export function runEngineProcess(command: EngineCommand, opts: EngineProcessOptions): Promise<EngineExit> {
  const stopGraceMs = opts.stopGraceMs ?? 30_000;
  const killGraceMs = opts.killGraceMs ?? 5_000;
  const posix = process.platform !== 'win32';
  const [file, ...args] = command.argv;
  const child = spawn(file, args, {
    env: engineEnv({ ...command.env, EMBEDDING_LENS_CANCEL_FILE: opts.cancelFile }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: posix,
    windowsHide: true,
  });
  let lastStderrLine = '';
  let addressInUse = false;
  let cancelled = false;
  const timers: NodeJS.Timeout[] = [];

  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (posix && child.pid !== undefined) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // ESRCH: the group has exited already.
    }
  };
  // The editor or the CLI quitting must not leave ranks training on the GPUs.
  const onParentExit = () => signalGroup('SIGTERM');
  process.on('exit', onParentExit);

  lines(child.stdout, (line) => {
    const e = parseEvent(line);
    if (e) opts.onEvent(e);
    else opts.onLog?.(line, 'stdout');
  });
  lines(child.stderr, (line) => {
    if (line.trim() !== '') lastStderrLine = line.trim();
    if (/address already in use|EADDRINUSE/i.test(line)) addressInUse = true;
    opts.onLog?.(line, 'stderr');
  });

  const escalate = () => {
    timers.push(
      setTimeout(() => {
        signalGroup('SIGTERM');
        timers.push(setTimeout(() => signalGroup('SIGKILL'), killGraceMs));
      }, stopGraceMs),
    );
  };
  const poll = setInterval(() => {
    if (cancelled || !opts.token?.isCancellationRequested) return;
    cancelled = true;
    fsp.writeFile(opts.cancelFile, '').catch(() => signalGroup('SIGTERM'));
    escalate();
  }, cancelPollMs);

  return new Promise((resolve) => {
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (err) => (spawnError = err));
    // A rank that outlives torchrun (or ignores its SIGTERM) keeps the pipes open: 'close' waits for it.
    child.on('exit', () => timers.push(setTimeout(() => signalGroup('SIGKILL'), killGraceMs)));
    child.on('close', (code, signal) => {
      clearInterval(poll);
      for (const t of timers) clearTimeout(t);
      process.off('exit', onParentExit);
      resolve({ code, signal, cancelled, spawnError, lastStderrLine, addressInUse });
    });
  });
}
