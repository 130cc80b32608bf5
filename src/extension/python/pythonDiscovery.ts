/**
 * Which interpreter the torch engine uses in the editor: embeddingLens.pythonPath, else the one
 * selected in the Python extension (ms-python.python, through its public environments API), else
 * what core/torch/python.ts falls back to (EMBEDDING_LENS_PYTHON, python3 on PATH). No vscode
 * import, so the order is unit tested with a fake extension object.
 */
import { choosePython, describeTorch, type PythonCandidate, type PythonSource, type TorchProbe } from '../../core/torch/python';

export const pythonExtensionId = 'ms-python.python';

/** The few members of the Python extension's API used here, typed by hand: no dependency on its package. */
export interface PythonEnvironmentPath {
  id: string;
  path: string;
}

export interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: unknown): PythonEnvironmentPath | undefined;
  resolveEnvironment(environment: PythonEnvironmentPath | string): PromiseLike<{ executable?: { uri?: { fsPath?: string } } } | undefined>;
  onDidChangeActiveEnvironmentPath?: (listener: () => unknown) => { dispose(): unknown };
}

/** The part of `vscode.extensions.getExtension(...)` read here. */
export interface PythonExtensionHandle {
  isActive: boolean;
  exports: unknown;
  activate(): PromiseLike<unknown>;
}

/** The environments API of the Python extension, activating it first; undefined when it offers none. */
export async function pythonEnvironmentsApi(extension: PythonExtensionHandle | undefined): Promise<PythonEnvironmentsApi | undefined> {
  if (!extension) return undefined;
  try {
    const exports = extension.isActive ? extension.exports : await extension.activate();
    const environments = (exports as { environments?: unknown } | undefined)?.environments as Partial<PythonEnvironmentsApi> | undefined;
    if (typeof environments?.getActiveEnvironmentPath !== 'function' || typeof environments.resolveEnvironment !== 'function') return undefined;
    return environments as PythonEnvironmentsApi;
  } catch {
    // An older Python extension, or one that failed to activate, is as good as none.
    return undefined;
  }
}

/** The executable of the environment selected for `resource`, or undefined when there is none or a call fails. */
export async function selectedInterpreter(api: PythonEnvironmentsApi | undefined, resource?: unknown): Promise<string | undefined> {
  if (!api) return undefined;
  try {
    const active = api.getActiveEnvironmentPath(resource);
    if (!active) return undefined;
    const resolved = await api.resolveEnvironment(active);
    const executable = resolved?.executable?.uri?.fsPath;
    return typeof executable === 'string' && executable.trim() !== '' ? executable : undefined;
  } catch {
    return undefined;
  }
}

export interface PythonLookup {
  /** embeddingLens.pythonPath as configured (empty when unset). */
  setting: string | undefined;
  /** ms-python.python when installed. */
  pythonExtension: PythonExtensionHandle | undefined;
  /** The workspace folder or file the interpreter is for (the Python extension picks per folder). */
  resource?: unknown;
  env?: NodeJS.ProcessEnv;
}

/**
 * The interpreter to run, with where it came from. The Python extension is asked (and activated)
 * only when the setting is empty, so a user who set the path never waits on it.
 */
export async function findPython(lookup: PythonLookup): Promise<PythonCandidate> {
  const setting = lookup.setting?.trim() || undefined;
  const pythonExtension = setting ? undefined : await selectedInterpreter(await pythonEnvironmentsApi(lookup.pythonExtension), lookup.resource);
  return choosePython({ setting, pythonExtension, env: lookup.env });
}

const sourceNames: Record<PythonSource, string> = {
  '--python': 'the --python flag',
  'embeddingLens.pythonPath': 'embeddingLens.pythonPath',
  'Python extension': 'the Python extension',
  EMBEDDING_LENS_PYTHON: 'EMBEDDING_LENS_PYTHON',
  PATH: 'PATH',
};

/**
 * One line for the status bar tooltip and Show Compute Backend: the interpreter, its torch and
 * devices, or why the torch engine is unavailable and how to fix it.
 */
export function torchSummary(probe: TorchProbe, source: PythonSource): string {
  if (probe.ok) return `torch engine: ${describeTorch(probe)}; interpreter from ${sourceNames[source]}`;
  const fix = /embeddingLens\.pythonPath/.test(probe.reason)
    ? ''
    : source === 'Python extension'
      ? '; or select another interpreter in the Python extension, or set embeddingLens.pythonPath'
      : '; or set embeddingLens.pythonPath to an interpreter that has torch';
  return `${describeTorch(probe)}${fix}`;
}
