/**
 * analyzeFiles() with the metric pass on the torch engine (python/embedding_lens, one process on
 * every local GPU or the CPU): the engine's JSON is the result, its per-query arrays (`--detail`)
 * the detail; the checkpoint is then read here for what the views draw from the points (the
 * sphere's sample, the norms), and zero-shot figures join as on tfjs.
 */
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CancelToken, ProgressFn } from '../util/cancel';
import { attachZeroShot } from '../classification/attachZeroShot';
import type { AnalysisDetail } from '../metrics/types';
import type { ReliabilityBin } from '../metrics/reliability';
import { readArrays } from '../readers';
import type { NamedArrays } from '../readers/types';
import { TorchEngineError } from '../torch/engine';
import { runTorchAnalysis } from '../torch/analysis';
import type { TorchInfo } from '../torch/python';
import type { AnalyzedCheckpoint } from './analyzedCheckpoint';
import { readWithSettings } from './analyzeFiles';
import type { AnalyzeFilesSettings } from './analyzeSettings';

/** The interpreter that runs the engine, and what probing it found. */
export interface TorchAnalysisEngine {
  python: string;
  info: TorchInfo;
}

/** The engine's pass takes this much of the progress bar; reading the points for the views, the rest. */
const passShare = 0.9;

/** The detail file's arrays (python/README.md, `--detail`) as the views' AnalysisDetail. */
export function detailOfEngineArrays(arrays: NamedArrays, images: number, texts: number): AnalysisDetail {
  const array = (name: string, length: number) => {
    const found = arrays.get(name);
    if (!found || found.data.length !== length)
      throw new TorchEngineError(
        `the torch engine's per-query arrays lack '${name}' of ${length} values (found ${found ? found.data.length : 'none'})`,
      );
    return found.data;
  };
  const bins = arrays.get('reliability_count')?.data.length ?? 0;
  const count = array('reliability_count', bins);
  const confidence = array('reliability_confidence', bins);
  const accuracy = array('reliability_accuracy', bins);
  const reliability: ReliabilityBin[] = Array.from({ length: bins }, (_, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: count[b],
    confidence: confidence[b],
    accuracy: accuracy[b],
  }));
  return {
    positive: Float32Array.from(array('positive', texts)),
    hardestNegativeI2T: Float32Array.from(array('hardest_negative_i2t', images)),
    hardestNegativeT2I: Float32Array.from(array('hardest_negative_t2i', texts)),
    ranksI2T: Int32Array.from(array('ranks_i2t', images)),
    ranksT2I: Int32Array.from(array('ranks_t2i', texts)),
    reliability,
  };
}

/** Resolves to the analysed checkpoint, its `engine` naming the device ("torch cuda:0", "torch cpu", …). */
export async function analyzeFilesOnTorch(
  files: string[],
  settings: AnalyzeFilesSettings,
  engine: TorchAnalysisEngine,
  token?: CancelToken,
  onProgress?: ProgressFn,
): Promise<AnalyzedCheckpoint> {
  const start = performance.now();
  const workDir = await fsp.mkdtemp(path.join(tmpdir(), 'embedding-lens-analysis-'));
  try {
    const detailFile = path.join(workDir, 'detail.safetensors');
    const { uniformityT, ks, eceTau, imageKeys, textKeys } = settings;
    const { result, warnings } = await runTorchAnalysis(
      files,
      { uniformityT, ks, eceTau, imageKeys, textKeys, detailFile },
      { ...engine, token, onProgress: (f) => onProgress?.(f * passShare, 'analysing on the torch engine') },
    );
    const detail = detailOfEngineArrays(await readArrays(detailFile, { token }), result.n_image, result.n_text);
    const checkpoint = await readWithSettings(files, settings, token, (f) =>
      onProgress?.(passShare + f * (1 - passShare), 'reading the points for the views'),
    );
    // The engine skips the same NaN and zero rows as the readers, and says so in the same words.
    checkpoint.warnings = [...new Set([...checkpoint.warnings, ...warnings])];
    const { engine: _engine, backend, ...metrics } = result;
    const analyzed = await attachZeroShot({ checkpoint, result: metrics, detail, seconds: 0 }, files, settings, token);
    return { ...analyzed, engine: `torch ${backend}`, seconds: (performance.now() - start) / 1000 };
  } finally {
    await fsp.rm(workDir, { recursive: true, force: true });
  }
}
