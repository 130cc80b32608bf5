/** Short names for the checkpoints of a comparison: unique, and as short as that allows. */
import * as path from 'node:path';

function nameOf(files: string[], withFolder: boolean): string {
  return files
    .map((f) => (withFolder ? path.join(path.basename(path.dirname(f)), path.basename(f)) : path.basename(f)))
    .join(' + ');
}

export function checkpointNames(sets: string[][]): string[] {
  const short = sets.map((s) => nameOf(s, false));
  const names = short.map((n, i) => (short.indexOf(n) !== short.lastIndexOf(n) ? nameOf(sets[i], true) : n));
  // Still equal (same folder name too, or the same file twice): number them so rows stay apart.
  return names.map((n, i) => (names.indexOf(n) !== names.lastIndexOf(n) ? `${n} (${i + 1})` : n));
}
