/** A comparison's checkpoints analysed on the torch engine: the CompareData the tfjs path builds, from the engine's per-query arrays. */
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CancelToken, ProgressFn } from '../../core/util/cancel';
import { compareDataOf, type AnalyzedForCompare } from './compareData';
import { checkpointNames } from './checkpointNames';
import { readArrays } from '../../core/readers';
import type { CompareData } from '../../protocol/comparePanel';
import { runTorchAnalysis, type TorchAnalysisSettings } from '../../core/torch/analysis';
import { detailOfEngineArrays } from '../../core/analysis/engineDetailArrays';
import type { TorchInfo } from '../../core/torch/python';

export async function compareOnTorch(
  sets: string[][],
  settings: TorchAnalysisSettings,
  engine: { python: string; info: TorchInfo },
  token?: CancelToken,
  onProgress?: ProgressFn,
): Promise<CompareData> {
  const start = performance.now();
  const names = checkpointNames(sets);
  const workDir = await fsp.mkdtemp(path.join(tmpdir(), 'embedding-lens-compare-'));
  try {
    const analyzed: AnalyzedForCompare[] = [];
    const devices = new Set<string>();
    for (const [k, files] of sets.entries()) {
      const detailFile = path.join(workDir, `detail-${k}.safetensors`);
      const began = performance.now();
      const { result, warnings } = await runTorchAnalysis(
        files,
        { ...settings, detailFile },
        {
          ...engine,
          token,
          onProgress: (f) => onProgress?.((k + f) / sets.length, `${names[k]} (${k + 1} of ${sets.length}) on torch`),
        },
      );
      devices.add(result.backend);
      const detail = detailOfEngineArrays(await readArrays(detailFile, { token }), result.n_image, result.n_text);
      analyzed.push({
        name: names[k],
        files,
        result,
        seconds: (performance.now() - began) / 1000,
        warnings,
        ranksI2T: detail.ranksI2T,
        ranksT2I: detail.ranksT2I,
        positive: detail.positive,
        hardestNegative: detail.hardestNegativeI2T,
      });
    }
    return compareDataOf(analyzed, `torch ${[...devices].join(', ')}`, (performance.now() - start) / 1000);
  } finally {
    await fsp.rm(workDir, { recursive: true, force: true });
  }
}
