/**
 * analyzeFiles() with the metric pass on the torch engine (python/embedding_lens, one process on
 * every local GPU or the CPU): the engine's JSON is the result, and its detail file (`--detail`)
 * holds the per-query arrays, the rows of the pairs the views draw and the temperature sweep, so
 * the checkpoint is read once, by the engine, which also measures the zero-shot figures of a file
 * that holds classes.
 */
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { CancelToken, ProgressFn } from '../util/cancel';
import { sweptTemperatures, type TemperatureSweep } from '../calibration/temperatureSweep';
import { readArraysAndMetadata } from '../readers';
import type { NamedArrays } from '../readers/types';
import { runTorchAnalysis } from '../torch/analysis';
import type { TorchInfo } from '../torch/python';
import type { AnalyzedCheckpoint } from './analyzedCheckpoint';
import type { AnalyzeFilesSettings } from './analyzeSettings';
import { maxViewPairs, viewPairsOfRows, type ViewPairs } from './viewPairs';
import { detailArray, detailOfEngineArrays, zeroShotOfEngineArrays } from './engineDetailArrays';

/** The interpreter that runs the engine, and what probing it found. */
export interface TorchAnalysisEngine {
  python: string;
  info: TorchInfo;
}

/** The engine's pass takes this much of the progress bar; reading its detail file, the rest. */
const passShare = 0.95;

/** The drawn pairs' rows (`--view-pairs`) of a checkpoint of `total` pairs. */
function viewPairsOfEngineArrays(arrays: NamedArrays, total: number, dim: number): ViewPairs {
  const drawn = Math.min(total, maxViewPairs);
  const rows = (name: string) => ({
    rows: drawn,
    cols: dim,
    data: detailArray(arrays, name, drawn * dim) as Float32Array,
  });
  const chosen = Int32Array.from(detailArray(arrays, 'view_pairs', drawn));
  return viewPairsOfRows(total, chosen, rows('view_image'), rows('view_text'));
}

/** ECE against temperature (`--temperatures`), as temperatureSweep() reports it. */
function sweepOfEngineArrays(arrays: NamedArrays, taus: number[], tau: number, images: number): TemperatureSweep {
  const ece = Array.from(detailArray(arrays, 'temperature_ece', taus.length));
  return { taus, ece, tau, queries: detailArray(arrays, 'temperature_queries', 1)[0], total: images };
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
    const temperatures = sweptTemperatures(eceTau);
    const { result, warnings } = await runTorchAnalysis(
      files,
      { uniformityT, ks, eceTau, imageKeys, textKeys, detailFile, viewPairs: maxViewPairs, temperatures },
      { ...engine, token, onProgress: (f) => onProgress?.(f * passShare, 'analysing on the torch engine') },
    );
    onProgress?.(passShare, 'reading the engine’s detail');
    const { arrays, metadata } = await readArraysAndMetadata(detailFile, { token });
    const { n_image: images, n_text: texts, dim } = result;
    const detail = detailOfEngineArrays(arrays, images, texts);
    const rows = {
      kind: 'drawn pairs' as const,
      pairs: viewPairsOfEngineArrays(arrays, texts, dim),
      temperature: sweepOfEngineArrays(arrays, temperatures, eceTau, images),
    };
    const { engine: _engine, backend, ...metrics } = result;
    return {
      checkpoint: { files, warnings, metadata },
      rows,
      result: metrics,
      detail,
      zeroShot: metrics.zero_shot && zeroShotOfEngineArrays(metrics.zero_shot, arrays),
      engine: `torch ${backend}`,
      seconds: (performance.now() - start) / 1000,
    };
  } finally {
    await fsp.rm(workDir, { recursive: true, force: true });
  }
}
