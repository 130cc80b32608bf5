/** What the e2e runner and the in-host test module (index.ts) agree on; free of 'vscode' so both can load it. */

/** Environment variables set on code-server, which its extension host inherits. */
export const hostEnv = {
  /** Where run() writes its HostResult as JSON. */
  result: 'EMBEDDING_LENS_E2E_RESULT',
  checkpoint: 'EMBEDDING_LENS_E2E_CHECKPOINT',
  truncated: 'EMBEDDING_LENS_E2E_TRUNCATED',
  /** A (2, 5000, 512) checkpoint, analysed while the event loop is watched. */
  large: 'EMBEDDING_LENS_E2E_LARGE',
  /** A checkpoint big enough that its analysis is still running when the runner clicks Cancel. */
  cancel: 'EMBEDDING_LENS_E2E_CANCEL',
  /** Where the runner writes the name of each rendezvous it has finished its side of. */
  ack: 'EMBEDDING_LENS_E2E_ACK',
  /** Optional: a folder for CPU profiles of the host's event-loop thread during the analyses. */
  profile: 'EMBEDDING_LENS_E2E_PROFILE',
} as const;

export interface HostCheck {
  name: string;
  ok: boolean;
  error?: string;
  /** Figures the check measured (ms, counts), reported by the runner even when the check failed. */
  measured?: Record<string, number>;
}

export interface HostResult {
  checks: HostCheck[];
  /** False while checks are still running, so a crash mid-way shows which check was last reached. */
  done: boolean;
  /**
   * A rendezvous the host is waiting at: the runner does its part in the browser, then appends the
   * name to the ack file. Absent when the host waits for nothing.
   */
  awaiting?: Rendezvous;
}

/** Points where the host needs the runner to act in the workbench. */
export const rendezvous = {
  /** An analysis of the cancel checkpoint is running: click its panel's Cancel button. */
  cancel: 'cancel',
} as const;
export type Rendezvous = (typeof rendezvous)[keyof typeof rendezvous];

/** Pairs of the large checkpoint. */
export const largePairs = 5000;

/** The checks index.ts runs, by the names both sides report them under. */
export const hostChecks = {
  activates: 'the extension activates',
  commands: 'the four commands are registered',
  openWith: 'vscode.openWith opens a .npy in embeddingLens.checkpointEditor',
  truncated: 'a truncated .npy opens without taking the extension down',
  probe: 'the event-loop probe catches a deliberate 80 ms block',
  cancel: 'embeddingLens.analyze resolves to [undefined] when its panel is cancelled',
  analyzeSample: 'embeddingLens.analyze resolves to the metrics of the 500-pair sample',
  exportCommands: "the export commands write the active analysis panel's metrics and charts",
  analyzeLarge: `after the cancel, embeddingLens.analyze resolves to the metrics of ${largePairs} pairs`,
} as const;
