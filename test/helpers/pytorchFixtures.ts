/** .pt files written by the real torch.save (Debian's python3-torch), or the reason there are none. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/** Where the fixture script lives: beside this file in the source tree, not in out/. */
const script = path.join(__dirname, '..', '..', '..', 'test', 'helpers', 'write_pytorch_fixtures.py');

function pythonWithTorch(): string | undefined {
  for (const python of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
    if (probe.status === 0) return python;
  }
  return undefined;
}

export const pytorchPython = pythonWithTorch();
export const pytorchSkip = pytorchPython
  ? false
  : 'skipped: no python3 with torch (Debian: apt-get install python3-torch)';

/** Writes every fixture of write_pytorch_fixtures.py into `dir`, N pairs of D dimensions. */
export function writePytorchFixtures(dir: string, pairs: number, dim: number): void {
  const run = spawnSync(pytorchPython!, [script, dir, String(pairs), String(dim)], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (run.status !== 0) throw new Error(`write_pytorch_fixtures.py failed: ${run.stderr}`);
}
