/**
 * Messages between the extension host and the analysis webview. The host always sends full
 * snapshots (never deltas), so a hidden-then-shown panel simply re-renders the last one.
 */
import type { SuiteResult, ZeroShotAnalysis } from '../core/classification/types';
import type { TemperatureSweep } from '../core/calibration/temperatureSweep';
import type { AnalysisResult, ReliabilityBin } from '../core/metrics/types';
import type { ChartInfo, HostToViewExport, ViewToHostExport } from './export';

/** The charts of a file of pairs, in page order. */
const retrievalCharts = [
  { id: 'scatter', title: 'Embedding space (PCA of both modalities)' },
  { id: 'sphere', title: 'Both modalities on the sphere (3D PCA or DOSNES, drag to rotate)' },
  { id: 'histogram', title: 'Positive vs hardest-negative similarity' },
  { id: 'reliability', title: 'Reliability diagram (image → text)' },
  { id: 'calibration', title: 'ECE against softmax temperature' },
] as const satisfies readonly ChartInfo[];

/** The charts of a zero-shot classification set, after the retrieval ones when a file has both. */
const zeroShotCharts = [
  { id: 'zeroShotReliability', title: 'Reliability diagram (zero-shot classification)' },
  { id: 'worstClasses', title: 'Worst classes by top-1 accuracy' },
] as const satisfies readonly ChartInfo[];

/** Every chart the view can draw, in page order; chartsOf() says which one snapshot has. */
export const analysisCharts = [...retrievalCharts, ...zeroShotCharts] as const;

export type AnalysisChart = (typeof analysisCharts)[number]['id'];

/**
 * Interleaved coordinates of up to 100,000 points. Typed, because VS Code's webview postMessage
 * sends a typed array as one binary buffer, while it writes a plain array into JSON number by number
 * on the extension host's thread (tens of milliseconds at 100,000 pairs).
 */
export type PointCoordinates = Float32Array;

export interface ScatterData {
  /** Interleaved x,y of image points, then of text points, for the same pairs in the same order. */
  image: PointCoordinates;
  text: PointCoordinates;
  /** Fraction of variance of the two components. */
  explained: [number, number];
  /** Pairs drawn out of all pairs, and how they were chosen, when not every pair is drawn. */
  shown: number;
  total: number;
  rule?: string;
  /** Indices (into the drawn pairs) of the pairs joined by a line, a seeded sample; absent: all. */
  lines?: number[];
}

/** Points on the unit sphere: interleaved x,y,z of image points, then of text points, same pairs in the same order. */
export interface SphereLayout {
  image: PointCoordinates;
  text: PointCoordinates;
  /** Mean image point to mean text point (inside the ball): the modality gap in this layout. */
  gap: { from: number[]; to: number[] };
}

export type DosnesLayout = SphereLayout & { dosnesPairs: number };

/** Both modalities in 3D PCA coordinates, each point pushed onto the unit sphere. */
export interface SphereData {
  /** Interleaved x,y,z of image points, then of text points, for the same pairs in the same order. */
  image: PointCoordinates;
  text: PointCoordinates;
  /** Mean image point to mean text point (inside the ball): the modality gap in these axes. */
  gap: { from: number[]; to: number[] };
  explained: [number, number, number];
  shown: number;
  total: number;
  /**
   * DOSNES (core/projection/dosnes.ts) of a seeded sample of the drawn pairs, both modalities
   * together, started from their PCA points; absent until the view's toggle asks for it.
   */
  dosnes?: DosnesLayout;
  /** Only for checkpoints of an m²-Mix run (their metadata carries the run's config): see GeodesicArcs. */
  arcs?: GeodesicArcs;
}

/**
 * Geodesic mixes m_λ(x_i, y_i) of image x_i and text y_i for a seeded sample of the drawn pairs,
 * in the PCA view's axes, each point pushed onto the sphere.
 */
export interface GeodesicArcs {
  /** Per pair, interleaved x,y,z of the mix at λ = 1 (the image) down to λ = 0 (the text). */
  arcs: number[][];
  /** Per pair, x,y,z of the mix at that pair's λ (interleaved): the mixed hard negative. */
  negatives: number[];
  beta: number;
  seed: number;
  /** The m²-Mix λ of the run's last step before this checkpoint, which every negative is marked at. */
  lambda?: number;
}

/** ECE of image queries against the softmax temperature (core/calibration/temperatureSweep.ts). */
export type { TemperatureSweep };

export interface HistogramData {
  /** Bin edges, one more than the counts. */
  edges: number[];
  positive: number[];
  hardestNegative: number[];
}

/** A file of pairs; when it also holds labels and class embeddings, its zero-shot analysis too. */
export interface AnalysisSnapshot {
  /** Absent in snapshots from before classification files (a restored view state may hold one). */
  kind?: 'retrieval';
  title: string;
  files: string[];
  metrics: AnalysisResult;
  warnings: string[];
  metadata?: Record<string, string>;
  scatter: ScatterData;
  sphere: SphereData;
  histogram: HistogramData;
  reliability: ReliabilityBin[];
  /** ECE of image queries against the softmax temperature. */
  temperature: TemperatureSweep;
  zeroShot?: ZeroShotAnalysis;
  backend: string;
  seconds: number;
  /** The checkpoint pinned as the overview's baseline, added by the host when one is pinned. */
  baseline?: PinnedBaseline;
}

/**
 * A checkpoint's metrics remembered for the workspace, so the overview of any other checkpoint
 * shows its change against them. Values keyed like metricInfos (src/protocol/metricInfo.ts).
 */
export interface PinnedBaseline {
  title: string;
  files: string[];
  values: Record<string, number>;
}

/** A classification set alone: no pairs, so no retrieval metrics and no geometry charts. */
export interface ClassificationSnapshot {
  kind: 'classification';
  title: string;
  files: string[];
  warnings: string[];
  zeroShot: ZeroShotAnalysis;
  backend: string;
  seconds: number;
}

/** A *.suite.json (or suite folder): each set's accuracy and the mean over the shifted sets. */
export interface SuiteSnapshot {
  kind: 'suite';
  title: string;
  files: string[];
  warnings: string[];
  suite: SuiteResult;
  /** The in-distribution set's analysis, drawn in full below the table. */
  zeroShot: ZeroShotAnalysis;
  backend: string;
  seconds: number;
}

/** What the analysis view renders: whatever the file held. */
export type PanelSnapshot = AnalysisSnapshot | ClassificationSnapshot | SuiteSnapshot;

export function isRetrievalSnapshot(s: PanelSnapshot): s is AnalysisSnapshot {
  return s.kind === undefined || s.kind === 'retrieval';
}

/** The charts one snapshot draws: what the export commands offer for it. */
export function chartsOf(s: PanelSnapshot | undefined): readonly ChartInfo[] {
  if (!s) return analysisCharts;
  return [...(isRetrievalSnapshot(s) ? retrievalCharts : []), ...(s.zeroShot ? zeroShotCharts : [])];
}

export type HostToAnalysisView =
  | { type: 'progress'; fraction: number; message: string }
  | { type: 'snapshot'; snapshot: PanelSnapshot }
  | { type: 'error'; message: string }
  | HostToViewExport;

export type AnalysisViewToHost =
  | { type: 'ready' }
  | { type: 'rerun' }
  | { type: 'cancel' }
  /** The sphere's DOSNES toggle: lay the sample out (seconds), then send the snapshot with it. */
  | { type: 'layOutDosnes' }
  /** Remember this checkpoint's metrics as the workspace's baseline; unpin forgets them. */
  | { type: 'pinBaseline' }
  | { type: 'unpinBaseline' }
  | ViewToHostExport;
