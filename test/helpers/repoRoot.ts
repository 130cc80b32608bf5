import * as path from 'node:path';

/** The checkout's root. Tests run compiled from out/test/<tier>/…, at any depth; helpers sit at out/test/helpers. */
export const repoRoot = path.resolve(__dirname, '..', '..', '..');

/** The tsc output of a module under src/, for tests that require it in a child process. */
export const compiledSource = (...parts: string[]): string => path.join(repoRoot, 'out', 'src', ...parts);
