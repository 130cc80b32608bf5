/**
 * The torch engine's detail file (python/README.md, `--detail`) read back: arrays checked for their
 * length, the per-query arrays and reliability bins, and the zero-shot detail of a file of pairs
 * that also holds classes.
 */
import type { ZeroShotAnalysis, ZeroShotResult } from '../classification/types';
import type { ReliabilityBin } from '../metrics/reliability';
import type { AnalysisDetail } from '../metrics/types';
import type { NamedArray, NamedArrays } from '../readers/types';
import { TorchEngineError } from '../torch/engine';

/** The detail file's array `name`, which must hold `length` values. */
export function detailArray(arrays: NamedArrays, name: string, length: number): NamedArray['data'] {
  const found = arrays.get(name);
  if (!found || found.data.length !== length)
    throw new TorchEngineError(
      `the torch engine's detail file lacks '${name}' of ${length} values (found ${found ? found.data.length : 'none'})`,
    );
  return found.data;
}

/** Equal-width bins from `<prefix>_count`, `<prefix>_confidence` and `<prefix>_accuracy`. */
function reliabilityOfEngineArrays(arrays: NamedArrays, prefix: string): ReliabilityBin[] {
  const bins = arrays.get(`${prefix}_count`)?.data.length ?? 0;
  const count = detailArray(arrays, `${prefix}_count`, bins);
  const confidence = detailArray(arrays, `${prefix}_confidence`, bins);
  const accuracy = detailArray(arrays, `${prefix}_accuracy`, bins);
  return Array.from({ length: bins }, (_, b) => ({
    lower: b / bins,
    upper: (b + 1) / bins,
    count: count[b],
    confidence: confidence[b],
    accuracy: accuracy[b],
  }));
}

/** The detail file's arrays (python/README.md, `--detail`) as the views' AnalysisDetail. */
export function detailOfEngineArrays(arrays: NamedArrays, images: number, texts: number): AnalysisDetail {
  const array = (name: string, length: number) => detailArray(arrays, name, length);
  const reliability = reliabilityOfEngineArrays(arrays, 'reliability');
  return {
    positive: Float32Array.from(array('positive', texts)),
    hardestNegativeI2T: Float32Array.from(array('hardest_negative_i2t', images)),
    hardestNegativeT2I: Float32Array.from(array('hardest_negative_t2i', texts)),
    ranksI2T: Int32Array.from(array('ranks_i2t', images)),
    ranksT2I: Int32Array.from(array('ranks_t2i', texts)),
    reliability,
  };
}

/** The engine's `zero_shot` JSON with what the views draw beside it (classNames: a UTF-8 JSON list, when named). */
export function zeroShotOfEngineArrays(result: ZeroShotResult, arrays: NamedArrays): ZeroShotAnalysis {
  const names = arrays.get('zero_shot_class_names');
  const classNames = names
    ? (JSON.parse(new TextDecoder().decode(Uint8Array.from(names.data))) as string[])
    : undefined;
  return {
    result,
    detail: {
      classNames,
      perClassCount: Array.from(detailArray(arrays, 'zero_shot_per_class_count', result.classes)),
      reliability: reliabilityOfEngineArrays(arrays, 'zero_shot_reliability'),
    },
  };
}
