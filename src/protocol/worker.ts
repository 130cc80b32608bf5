/**
 * Jobs the extension host hands to the compute worker, and what the worker sends back. Every
 * request carries an id; every reply names it (the hexeditor's request/reply pattern).
 */
import type { AnalyzeFilesSettings } from '../core/analysis/analyzeSettings';
import type { TorchAnalysisEngine } from '../core/analysis/analyzeFilesOnTorch';
import type { TrainConfig } from '../core/train/trainConfig';
import type { RunEvent, RunSummary } from '../core/train/events';
import type { DosnesLayout, PanelSnapshot } from './analysisPanel';
import type { AnyCompareData } from './comparePanel';

/** What the host sends with an analysis: the core's settings, less the CLI-only explicit sample size. */
export type AnalyzeSettings = Omit<AnalyzeFilesSettings, 'samplePairs'>;

/**
 * What DOSNES lays out: a seeded sample of the sphere's pairs as unit rows (images, then texts) and
 * their PCA points on the sphere to start from. Small (2,000 x D floats), so the host keeps it with
 * the view instead of the worker reading the checkpoint again, which the torch engine's files may be
 * too large for.
 */
export interface DosnesInput {
  x: Float32Array;
  init: Float32Array;
  pairs: number;
  dim: number;
}

export type BackendPreference = 'auto' | 'tfjs-node-gpu' | 'webgpu' | 'tfjs-node' | 'wasm' | 'cpu';

export type WorkerRequest =
  | {
      id: number;
      type: 'analyze';
      files: string[];
      settings: AnalyzeSettings;
      /** Present when the host chose the torch engine (extension/analysisEngine.ts) for a file of pairs. */
      torch?: TorchAnalysisEngine;
      /** Shared Int32 flag: non-zero asks the job to stop at its next check. */
      cancel: SharedArrayBuffer;
    }
  | {
      id: number;
      type: 'compare';
      /** checkpoints[k]: the file (or image + text files) of checkpoint k. */
      checkpoints: string[][];
      settings: AnalyzeSettings;
      /** As for 'analyze': each checkpoint's metric pass on the torch engine. */
      torch?: TorchAnalysisEngine;
      cancel: SharedArrayBuffer;
    }
  | {
      id: number;
      type: 'dosnes';
      /** What the analysis of the view's checkpoint drew for DOSNES (its 'analysis' reply). */
      input: DosnesInput;
      cancel: SharedArrayBuffer;
    }
  | { id: number; type: 'backend' }
  | {
      id: number;
      type: 'train';
      /** A *.m2mix.json; the host has checked it already, the worker reads it again to run it. */
      configFile: string;
      /** Shared Int32 flag, polled before every optimizer step and between a step's products. */
      cancel: SharedArrayBuffer;
    }
  | {
      id: number;
      type: 'train';
      /** A config the CLI resolved (flags over a file), run as it is. */
      config: TrainConfig;
      cancel: SharedArrayBuffer;
    };

export interface BackendReport {
  name: string;
  gflops: number;
  /** Why higher rungs of the ladder were not used. */
  skipped: string[];
  /** The device behind the backend (webgpu: adapter vendor, architecture, description). */
  detail?: string;
}

export type WorkerReply =
  /** event: a training run's RunEvent, streamed as it happens (step, eval, checkpoint, start). */
  | { id: number; type: 'progress'; fraction: number; message: string; event?: RunEvent }
  /** dosnes: for a file of pairs, what the sphere's DOSNES toggle lays out; the host keeps it with the view. */
  | { id: number; type: 'analysis'; snapshot: PanelSnapshot; dosnes?: DosnesInput }
  | { id: number; type: 'comparison'; data: AnyCompareData }
  | { id: number; type: 'dosnes'; layout: DosnesLayout }
  | { id: number; type: 'backend'; report: BackendReport }
  | { id: number; type: 'trained'; summary: RunSummary }
  /** needsPartner: the file holds one modality and no partner was found; the user may pick one. */
  /** input: the error was the user's input (an InputError), which the CLI exits 2 for. */
  | {
      id: number;
      type: 'error';
      message: string;
      needsPartner?: boolean;
      deviceLost?: boolean;
      input?: { file: string; problem: string };
    }
  | { id: number; type: 'cancelled' };

export interface WorkerInit {
  backend: BackendPreference;
}
