/** `analyze --engine auto|tfjs|torch`: the engine flag, and the analysis when the torch engine runs it. */
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
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
import { pairsFileHoldsClasses } from '../core/classification/attachZeroShot';
import { zeroShotOfEngineArrays } from '../core/analysis/engineDetailArrays';
import { readArrays } from '../core/readers';

export function engineFrom(args: ParsedArgs): AnalysisEngine {
  const v = args.options.get('engine') ?? 'auto';
  if (!analysisEngines.includes(v as AnalysisEngine))
    throw new UsageError(`--engine must be ${analysisEngines.join(', ')}, got ${String(v)}`);
  return v as AnalysisEngine;
}

/**
 * Prints the torch engine's analysis as the tfjs path prints its own: text, or JSON with the engine,
 * device and seconds. The engine measures the zero-shot figures of a file that also holds classes;
 * their table names classes and counts their images, which come in its detail file.
 */
export async function analyzeOnTorch(
  args: ParsedArgs,
  settings: TorchAnalysisSettings,
  python: string,
  info: TorchInfo,
  token: SharedCancelToken,
): Promise<number> {
  const start = performance.now();
  const progress = terminalProgress('analyze');
  const json = args.options.has('json');
  const workDir = await fsp.mkdtemp(path.join(tmpdir(), 'embedding-lens-cli-'));
  try {
    const detailFile =
      !json && (await pairsFileHoldsClasses(args.positional, token))
        ? path.join(workDir, 'detail.safetensors')
        : undefined;
    const { result, warnings } = await runTorchAnalysis(
      args.positional,
      { ...settings, detailFile },
      {
        python,
        info,
        token,
        onProgress: progress.report,
      },
    );
    const zeroShot =
      detailFile &&
      result.zero_shot &&
      zeroShotOfEngineArrays(result.zero_shot, await readArrays(detailFile, { token }));
    progress.done();
    const seconds = (performance.now() - start) / 1000;
    for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    if (json)
      process.stdout.write(JSON.stringify({ ...result, seconds: Math.round(seconds * 1000) / 1000 }, null, 1) + '\n');
    else
      process.stdout.write(
        formatResult(args.positional.join(' + '), result, seconds, `torch ${result.backend}`) +
          (zeroShot ? `\n${formatZeroShot(zeroShot)}` : '') +
          '\n',
      );
    return 0;
  } finally {
    await fsp.rm(workDir, { recursive: true, force: true });
  }
}
