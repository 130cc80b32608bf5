/** The real torch engine for tests: the interpreter CI sets up (scripts/setup-python.sh), or why a test skips. */
import * as path from 'node:path';
import { probeTorch, type TorchInfo } from '../../src/core/torch/python';

export const torchEnginePython = process.env.EMBEDDING_LENS_TEST_PYTHON;
const root = path.join(__dirname, '..', '..', '..');

/** The interpreter and what it holds, or the reason to skip when it lacks torch or the engine package. */
export async function torchEngineOrSkipReason(): Promise<{ python: string; info: TorchInfo } | string> {
  if (!torchEnginePython)
    return 'EMBEDDING_LENS_TEST_PYTHON is not set (scripts/setup-python.sh prints an interpreter with torch)';
  const probe = await probeTorch(torchEnginePython, {
    env: { ...process.env, EMBEDDING_LENS_PYTHON_PACKAGE: path.join(root, 'python') },
  });
  return probe.ok ? { python: torchEnginePython, info: probe.info } : probe.reason;
}

/** False when the interpreter has torch and the engine package, else the reason to skip. */
export async function torchEngineSkipReason(): Promise<string | false> {
  const engine = await torchEngineOrSkipReason();
  return typeof engine === 'string' ? engine : false;
}
