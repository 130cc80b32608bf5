import type { AnalysisSnapshot, AnalysisViewToHost } from '../../src/protocol/analysisPanel';

/** What survives the panel being hidden (VS Code drops the page and keeps only this). */
export interface ViewState {
  snapshot?: AnalysisSnapshot;
}

export interface VsCodeApi {
  postMessage(message: AnalysisViewToHost): void;
  getState(): ViewState | undefined;
  setState(state: ViewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** VS Code allows one acquisition per page load, so the whole view shares this one. */
export const vscode: VsCodeApi = acquireVsCodeApi();
