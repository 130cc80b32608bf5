import type { AnalysisSnapshot, AnalysisViewToHost } from '../../src/protocol/analysisPanel';
import type { SphereLayoutName } from './charts/sphereOption';

/** What survives the panel being hidden (VS Code drops the page and keeps only this). */
export interface ViewState {
  snapshot?: AnalysisSnapshot;
  /** The sphere's layout, DOSNES once the user chose it. */
  sphereLayout?: SphereLayoutName;
}

export interface VsCodeApi {
  postMessage(message: AnalysisViewToHost): void;
  getState(): ViewState | undefined;
  setState(state: ViewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** VS Code allows one acquisition per page load, so the whole view shares this one. */
export const vscode: VsCodeApi = acquireVsCodeApi();
