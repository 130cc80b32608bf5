/** What the e2e runner and the in-host test module (index.ts) agree on; free of 'vscode' so both can load it. */

/** Environment variables set on code-server, which its extension host inherits. */
export const hostEnv = {
  /** Where run() writes its HostResult as JSON. */
  result: 'EMBEDDING_LENS_E2E_RESULT',
  checkpoint: 'EMBEDDING_LENS_E2E_CHECKPOINT',
  truncated: 'EMBEDDING_LENS_E2E_TRUNCATED',
} as const;

export interface HostCheck {
  name: string;
  ok: boolean;
  error?: string;
}

export interface HostResult {
  checks: HostCheck[];
  /** False while checks are still running, so a crash mid-way shows which check was last reached. */
  done: boolean;
}

/** The checks index.ts runs, by the names both sides report them under. */
export const hostChecks = {
  activates: 'the extension activates',
  commands: 'the four commands are registered',
  openWith: 'vscode.openWith opens a .npy in embeddingLens.checkpointEditor',
  truncated: 'a truncated .npy opens without taking the extension down',
} as const;
