import type { DashboardSnapshot, DashboardToHost } from '../../../src/protocol/dashboard';
import { vscode } from '../vscodeApi';

/** What survives the dashboard being hidden. */
export interface DashboardState {
  dashboard?: DashboardSnapshot;
}

interface DashboardApi {
  postMessage(message: DashboardToHost): void;
  getState(): DashboardState | undefined;
  setState(state: DashboardState): void;
}

/** The page's one VS Code API handle (acquired in vscodeApi.ts), typed for the dashboard's messages. */
export const api = vscode as unknown as DashboardApi;
