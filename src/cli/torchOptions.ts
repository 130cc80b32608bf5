/** What `train` and `embed` share for the torch engine: flags, and how a failure ends the command. */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { InputError, oneLine } from '../core/util/errors';
import { RankError, TorchEngineError } from '../core/torch/engine';
import { choosePython } from '../core/torch/python';
import type { DevicesSpec } from '../core/train/trainConfig';
import { UsageError, type ParsedArgs } from './args';

/**
 * --python, else $EMBEDDING_LENS_PYTHON, else python3 on PATH. A relative path is made absolute: a
 * printed launch command or SLURM script runs in another folder.
 */
export function pythonFrom(args: ParsedArgs): string {
  const flag = args.options.get('python');
  if (flag === true) throw new UsageError('option --python needs a value');
  const { python } = choosePython({ flag });
  return python.includes('/') || python.includes(path.sep) ? path.resolve(python) : python;
}

/** `auto`, a count of ranks (`2`), or CUDA device indices (`0,1`; a single device as `3,`). */
export function devicesFrom(args: ParsedArgs): DevicesSpec | undefined {
  const v = args.options.get('devices');
  if (v === undefined) return undefined;
  if (v === 'auto') return 'auto';
  if (typeof v === 'string' && /^[1-9]\d*$/.test(v)) return Number(v);
  if (typeof v === 'string' && /^\d+(,\d+)*,?$/.test(v) && v.includes(','))
    return v
      .split(',')
      .filter((d) => d !== '')
      .map(Number);
  throw new UsageError(`--devices takes auto, a count of ranks (2) or CUDA device indices (0,1), got ${String(v)}`);
}

/**
 * Writes the one line of a failure the user can act on and returns the exit code: 2 for their
 * input, 1 for an engine that failed; undefined for anything else (a bug: main reports it).
 */
export function reportFailure(err: unknown): number | undefined {
  if (err instanceof InputError || err instanceof UsageError) {
    process.stderr.write(`embedding-lens: ${oneLine(err)}\n`);
    return 2;
  }
  if (err instanceof TorchEngineError) {
    const traceback =
      err instanceof RankError && err.tracebackFile && existsSync(err.tracebackFile)
        ? ` (traceback: ${err.tracebackFile})`
        : '';
    process.stderr.write(`embedding-lens: ${oneLine(err)}${traceback}\n`);
    return 1;
  }
  return undefined;
}
