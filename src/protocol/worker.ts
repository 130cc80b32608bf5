/**
 * Jobs the extension host hands to the compute worker, and what the worker sends back. Every
 * request carries an id; every reply names it (the hexeditor's request/reply pattern).
 */
import type { AnalysisSnapshot } from './analysisPanel';

export interface AnalyzeSettings {
  uniformityT: number;
  ks: number[];
  eceTau: number;
  memoryBudgetMB: number;
  /** Extra key names to look for in .npz/.safetensors files. */
  imageKeys: string[];
  textKeys: string[];
}

export type BackendPreference = 'auto' | 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export type WorkerRequest =
  | {
      id: number;
      type: 'analyze';
      files: string[];
      settings: AnalyzeSettings;
      /** Shared Int32 flag: non-zero asks the job to stop at its next check. */
      cancel: SharedArrayBuffer;
    }
  | { id: number; type: 'backend' };

export interface BackendReport {
  name: string;
  gflops: number;
  /** Why higher rungs of the ladder were not used. */
  skipped: string[];
}

export type WorkerReply =
  | { id: number; type: 'progress'; fraction: number; message: string }
  | { id: number; type: 'analysis'; snapshot: AnalysisSnapshot }
  | { id: number; type: 'backend'; report: BackendReport }
  /** needsPartner: the file holds one modality and no partner was found; the user may pick one. */
  | { id: number; type: 'error'; message: string; needsPartner?: boolean }
  | { id: number; type: 'cancelled' };

export interface WorkerInit {
  backend: BackendPreference;
}
