/**
 * Messages between the extension host and the analysis webview. The host always sends full
 * snapshots (never deltas), so a hidden-then-shown panel simply re-renders the last one.
 */
import type { AnalysisResult, ReliabilityBin } from '../core/metrics/types';

export interface ScatterData {
  /** Interleaved x,y of image points, then of text points, for the same pairs in the same order. */
  image: number[];
  text: number[];
  /** Fraction of variance of the two components. */
  explained: [number, number];
  /** Pairs drawn out of all pairs, and how they were chosen, when not every pair is drawn. */
  shown: number;
  total: number;
  rule?: string;
}

export interface HistogramData {
  /** Bin edges, one more than the counts. */
  edges: number[];
  positive: number[];
  hardestNegative: number[];
}

export interface AnalysisSnapshot {
  title: string;
  files: string[];
  metrics: AnalysisResult;
  warnings: string[];
  metadata?: Record<string, string>;
  scatter: ScatterData;
  histogram: HistogramData;
  reliability: ReliabilityBin[];
  backend: string;
  seconds: number;
}

export type HostToAnalysisView =
  | { type: 'progress'; fraction: number; message: string }
  | { type: 'snapshot'; snapshot: AnalysisSnapshot }
  | { type: 'error'; message: string };

export type AnalysisViewToHost =
  | { type: 'ready' }
  | { type: 'rerun' }
  | { type: 'cancel' }
  | { type: 'exportJson' };
