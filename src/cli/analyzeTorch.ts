/** `analyze --engine auto|tfjs|torch`: the engine flag, and the analysis when the torch engine runs it. */
import type { SharedCancelToken } from '../core/util/cancel';
import {
  analysisEngines,
  runTorchAnalysis,
  type AnalysisEngine,
  type TorchAnalysisSettings,
} from '../core/torch/analysis';
import type { TorchInfo } from '../core/torch/python';
import { UsageError, type ParsedArgs } from './args';
import { formatResult } from './format';
import { terminalProgress } from './progress';
import { formatZeroShot } from './zeroShotFormat';
import { pairsFileHoldsClasses, zeroShotOfPairsFile } from '../core/classification/attachZeroShot';

export function engineFrom(args: ParsedArgs): AnalysisEngine {
  const v = args.options.get('engine') ?? 'auto';
  if (!analysisEngines.includes(v as AnalysisEngine))
    throw new UsageError(`--engine must be ${analysisEngines.join(', ')}, got ${String(v)}`);
  return v as AnalysisEngine;
}

/**
 * Prints the torch engine's analysis as the tfjs path prints its own: text, or JSON with the engine,
 * device and seconds. A file that also holds classes gets its zero-shot figures beside, as on tfjs
 * (that pass is over images x classes, small beside the pairs' Gram matrix, and runs in this process).
 */
export async function analyzeOnTorch(
  args: ParsedArgs,
  settings: TorchAnalysisSettings & { memoryBudgetMB: number },
  python: string,
  info: TorchInfo,
  token: SharedCancelToken,
  /** Starts tfjs for the zero-shot pass (only a file with classes needs it). */
  startTfjs: () => Promise<unknown>,
): Promise<number> {
  const start = performance.now();
  const progress = terminalProgress('analyze');
  const { result, warnings } = await runTorchAnalysis(args.positional, settings, {
    python,
    info,
    token,
    onProgress: progress.report,
  });
  let classes: Awaited<ReturnType<typeof zeroShotOfPairsFile>> | undefined;
  if (await pairsFileHoldsClasses(args.positional, token)) {
    await startTfjs();
    classes = await zeroShotOfPairsFile(args.positional[0], settings, token);
  }
  progress.done();
  const seconds = (performance.now() - start) / 1000;
  for (const w of [...warnings, ...(classes?.warnings ?? [])]) process.stderr.write(`warning: ${w}\n`);
  const withClasses = classes ? { ...result, zero_shot: classes.zeroShot.result } : result;
  if (args.options.has('json'))
    process.stdout.write(
      JSON.stringify({ ...withClasses, seconds: Math.round(seconds * 1000) / 1000 }, null, 1) + '\n',
    );
  else
    process.stdout.write(
      formatResult(args.positional.join(' + '), withClasses, seconds, `torch ${result.backend}`) +
        (classes ? `\n${formatZeroShot(classes.zeroShot)}` : '') +
        '\n',
    );
  return 0;
}
