/** The settings the worker's tests analyse with: the extension's defaults, with a small memory budget. */
import type { AnalyzeSettings } from '../../src/protocol/worker';

export const testAnalyzeSettings: AnalyzeSettings = {
  uniformityT: 2,
  ks: [1, 5, 10],
  eceTau: 0.01,
  memoryBudgetMB: 256,
  imageKeys: [],
  textKeys: [],
};
