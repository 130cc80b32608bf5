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

export function engineFrom(args: ParsedArgs): AnalysisEngine {
  const v = args.options.get('engine') ?? 'auto';
  if (!analysisEngines.includes(v as AnalysisEngine))
    throw new UsageError(`--engine must be ${analysisEngines.join(', ')}, got ${String(v)}`);
  return v as AnalysisEngine;
}

/** Prints the torch engine's analysis as the tfjs path prints its own: text, or JSON with the engine, device and seconds. */
export async function analyzeOnTorch(
  args: ParsedArgs,
  settings: TorchAnalysisSettings,
  python: string,
  info: TorchInfo,
  token: SharedCancelToken,
): Promise<number> {
  const start = performance.now();
  const progress = terminalProgress('analyze');
  const { result, warnings } = await runTorchAnalysis(args.positional, settings, {
    python,
    info,
    token,
    onProgress: progress.report,
  });
  progress.done();
  const seconds = (performance.now() - start) / 1000;
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  if (args.options.has('json'))
    process.stdout.write(JSON.stringify({ ...result, seconds: Math.round(seconds * 1000) / 1000 }, null, 1) + '\n');
  else
    process.stdout.write(formatResult(args.positional.join(' + '), result, seconds, `torch ${result.backend}`) + '\n');
  return 0;
}
