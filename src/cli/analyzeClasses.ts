/** `analyze` on a classification set or a suite: what it prints, readable or JSON. */
import type { AnalysisOutcome } from '../core/classification/analyzeInput';
import { formatSuite, formatZeroShot } from './zeroShotFormat';

type ClassOutcome = Exclude<AnalysisOutcome, { kind: 'retrieval' }>;

export function printClassOutcome(outcome: ClassOutcome, label: string, json: boolean, backend: string): number {
  for (const w of outcome.warnings) process.stderr.write(`warning: ${w}\n`);
  const seconds = Math.round(outcome.seconds * 1000) / 1000;
  if (outcome.kind === 'suite') {
    const text = json
      ? JSON.stringify({ ...outcome.suite, engine: 'tfjs', backend, seconds }, null, 1)
      : formatSuite(outcome.suite, outcome.seconds, backend);
    process.stdout.write(text + '\n');
    return 0;
  }
  // A classification-only file has no retrieval keys: they are absent, not zero.
  if (json)
    process.stdout.write(
      JSON.stringify({ zero_shot: outcome.zeroShot.result, engine: 'tfjs', backend, seconds }, null, 1) + '\n',
    );
  else
    process.stdout.write(
      `${label}: (${outcome.seconds.toFixed(2)} s on ${backend})\n${formatZeroShot(outcome.zeroShot)}\n`,
    );
  return 0;
}
