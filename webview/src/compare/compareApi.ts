import type { AnyCompareSnapshot, CompareViewToHost } from '../../../src/protocol/comparePanel';
import { vscode } from '../vscodeApi';

export interface CompareState {
  snapshot?: AnyCompareSnapshot;
  /** The rank table's direction and sort, kept across hide and show. */
  rankDirection?: 'i2t' | 't2i';
  /** Ids of the collapsed sections (sections.ts). */
  collapsed?: string[];
}

export interface CompareApi {
  postMessage(message: CompareViewToHost): void;
  getState(): CompareState | undefined;
  setState(state: CompareState): void;
}

/** The page's one acquireVsCodeApi() handle, typed for the compare view's messages and state. */
export const compareApi = vscode as unknown as CompareApi;
