/**
 * Which Python runs the torch engine, and what it can do: `python -m embedding_lens info` (see
 * python/README.md) with the engine's package on PYTHONPATH. No vscode import: the extension passes
 * its setting and the Python extension's choice in, the CLI its flag and environment.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';

export interface CudaDeviceInfo {
  index: number;
  name: string;
  memory_bytes: number;
}

/** The `info` line of an interpreter that has torch. */
export interface TorchInfo {
  ok: true;
  python: string;
  executable: string;
  torch: string;
  cuda: CudaDeviceInfo[];
  mps: boolean;
  cpu_threads: number;
  gloo: boolean;
  nccl: boolean;
  open_clip: string | null;
  transformers: string | null;
}

export type TorchProbe = { ok: true; info: TorchInfo } | { ok: false; python: string; reason: string };

export type PythonSource =
  '--python' | 'embeddingLens.pythonPath' | 'Python extension' | 'EMBEDDING_LENS_PYTHON' | 'PATH';

export interface PythonCandidate {
  /** A path, or a command name that PATH resolves. */
  python: string;
  source: PythonSource;
}

export interface PythonChoices {
  /** The CLI's --python. */
  flag?: string;
  /** The setting embeddingLens.pythonPath. */
  setting?: string;
  /** The interpreter selected in the Python extension (its environments API). */
  pythonExtension?: string;
  env?: NodeJS.ProcessEnv;
}

/** Every interpreter the user named, most explicit first, ending with python3 on PATH. */
export function pythonCandidates(choices: PythonChoices): PythonCandidate[] {
  const env = choices.env ?? process.env;
  const named: [string | undefined, PythonSource][] = [
    [choices.flag, '--python'],
    [choices.setting, 'embeddingLens.pythonPath'],
    [choices.pythonExtension, 'Python extension'],
    [env.EMBEDDING_LENS_PYTHON, 'EMBEDDING_LENS_PYTHON'],
  ];
  const given = named
    .filter(([p]) => p !== undefined && p.trim() !== '')
    .map(([p, source]) => ({ python: p!.trim(), source }));
  return [...given, { python: 'python3', source: 'PATH' }];
}

/**
 * The interpreter to use: the most explicit one named. A named interpreter that fails is reported,
 * not skipped for the next: a run on another environment than the one set would be a surprise.
 */
export function choosePython(choices: PythonChoices): PythonCandidate {
  return pythonCandidates(choices)[0];
}

/**
 * python/ beside the bundles (dist/../python, as the .vsix lays them out);
 * EMBEDDING_LENS_PYTHON_PACKAGE overrides it (tests put a scripted engine there).
 */
export function enginePackageDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.EMBEDDING_LENS_PYTHON_PACKAGE || path.join(__dirname, '..', 'python');
}

/** The environment of every engine process: the package first on PYTHONPATH, the user's after it (a factory may import their modules). */
export function engineEnv(extra: Record<string, string> = {}, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const pythonPath = [enginePackageDir(env), env.PYTHONPATH].filter((p) => p).join(path.delimiter);
  // Unbuffered: event lines must arrive as they are printed, not when a 8 KiB buffer fills.
  return { ...env, PYTHONPATH: pythonPath, PYTHONUNBUFFERED: '1', ...extra };
}

function notFound(python: string): string {
  return python === 'python3'
    ? 'no python3 on PATH: set embeddingLens.pythonPath or --python'
    : `no Python at ${python}: set embeddingLens.pythonPath or --python`;
}

const lastLine = (text: string): string => text.trim().split('\n').at(-1)?.trim() ?? '';

/**
 * Runs `python -m embedding_lens info`. Never throws: a missing interpreter, a missing torch, a
 * hang (a broken CUDA driver can stall torch's import) all come back as one line.
 */
export function probeTorch(
  python: string,
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<TorchProbe> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve) => {
    execFile(
      python,
      ['-m', 'embedding_lens', 'info'],
      { env: engineEnv({}, opts.env), timeout: timeoutMs, maxBuffer: 1 << 20, windowsHide: true },
      (err, stdout, stderr) => {
        const fail = (reason: string) => resolve({ ok: false, python, reason });
        const code = (err as NodeJS.ErrnoException | null)?.code;
        if (code === 'ENOENT') return fail(notFound(python));
        if (code === 'EACCES')
          return fail(`${python} is not executable: set embeddingLens.pythonPath or --python to a Python interpreter`);
        if (err && (err as { killed?: boolean }).killed)
          return fail(
            `${python} -m embedding_lens info did not answer within ${Math.round(timeoutMs / 1000)} s (importing torch hung?)`,
          );
        const line = stdout.split('\n').find((l) => l.trim().startsWith('{'));
        let info: (TorchInfo | { ok: false; problem: string }) | undefined;
        try {
          info = line ? (JSON.parse(line) as TorchInfo | { ok: false; problem: string }) : undefined;
        } catch {
          info = undefined;
        }
        if (!info)
          return fail(
            `${python} could not run the torch engine's package: ${lastLine(stderr) || lastLine(stdout) || `exit code ${String(code)}`}`,
          );
        if (!info.ok) return fail(`${python}: ${info.problem}`);
        resolve({ ok: true, info });
      },
    );
  });
}

/** One line for "Show Compute Backend", the status bar and `embedding-lens backend`. */
export function describeTorch(probe: TorchProbe): string {
  if (!probe.ok) return `torch engine unavailable: ${probe.reason}`;
  const i = probe.info;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(0)} GiB`;
  const devices = [
    ...i.cuda.map((d) => `cuda:${d.index} ${d.name} (${gib(d.memory_bytes)})`),
    ...(i.mps ? ['mps'] : []),
    `cpu (${i.cpu_threads} thread${i.cpu_threads === 1 ? '' : 's'})`,
  ];
  return `torch ${i.torch} on Python ${i.python} (${i.executable}): ${devices.join(', ')}`;
}
