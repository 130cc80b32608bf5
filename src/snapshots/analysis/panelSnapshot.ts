/** Whatever analyzeInput() found, as the full snapshot the analysis view renders. */
import * as path from 'node:path';
import type { AnalysisOutcome } from '../../core/classification/analyzeInput';
import { buildSnapshot } from './analysisSnapshot';
import type { ClassificationSnapshot, PanelSnapshot, SuiteSnapshot } from '../../protocol/analysisPanel';
import type { DosnesInput } from '../../protocol/worker';

const titleOf = (files: string[]) => files.map((f) => path.basename(f)).join(' + ');

export function classificationSnapshot(
  outcome: Extract<AnalysisOutcome, { kind: 'classification' }>,
  backend: string,
): ClassificationSnapshot {
  const { files, zeroShot, warnings, seconds } = outcome;
  return { kind: 'classification', title: titleOf(files), files, warnings, zeroShot, backend, seconds };
}

export function suiteSnapshot(
  outcome: Extract<AnalysisOutcome, { kind: 'suite' }>,
  source: string,
  backend: string,
): SuiteSnapshot {
  const { suite, details, warnings, seconds } = outcome;
  return {
    kind: 'suite',
    title: suite.suite || titleOf([source]),
    files: [source],
    warnings,
    suite,
    zeroShot: { result: suite.inDistribution.result, detail: details[0] },
    backend,
    seconds,
  };
}

/** The snapshot, and for a file of pairs the DOSNES input the host keeps for the sphere's toggle. */
export async function buildPanelSnapshot(
  outcome: AnalysisOutcome,
  files: string[],
  backend: string,
): Promise<{ snapshot: PanelSnapshot; dosnes?: DosnesInput }> {
  switch (outcome.kind) {
    case 'retrieval':
      return buildSnapshot(outcome.analyzed, outcome.analyzed.engine ?? backend);
    case 'classification':
      return { snapshot: classificationSnapshot(outcome, backend) };
    case 'suite':
      return { snapshot: suiteSnapshot(outcome, files[0], backend) };
  }
}
