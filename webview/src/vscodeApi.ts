import type { AnalysisViewToHost, PanelSnapshot } from '../../src/protocol/analysisPanel';
import type { SphereLayoutName } from './charts/sphereOption';

/** What survives the panel being hidden (VS Code drops the page and keeps only this). */
export interface ViewState {
  snapshot?: PanelSnapshot;
  /** The sphere's layout, DOSNES once the user chose it. */
  sphereLayout?: SphereLayoutName;
  /** Ids of the sections the user collapsed (sections.ts); every view keeps them in its state. */
  collapsed?: string[];
}

export interface VsCodeApi {
  postMessage(message: AnalysisViewToHost): void;
  getState(): ViewState | undefined;
  setState(state: ViewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** VS Code allows one acquisition per page load, so the whole view shares this one. */
export const vscode: VsCodeApi = acquireVsCodeApi();

/** Merges `patch` into the saved state, so the parts of the page that save their own (sections, snapshot) never drop each other's. */
export function saveState(patch: Partial<ViewState>): void {
  vscode.setState({ ...vscode.getState(), ...patch });
}
