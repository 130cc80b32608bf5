import type { EChartsType } from 'echarts/core';
import {
  isRetrievalSnapshot,
  type AnalysisChart,
  type AnalysisSnapshot,
  type PanelSnapshot,
} from '../../../src/protocol/analysisPanel';
import { worstClassesOption } from '../zeroShot/worstClassesOption';
import type { Palette } from '../theme';
import { ChartHost } from './chartHost';
import './echarts';
import type { ChartOption } from './echarts';
import { calibrationOption } from './calibrationOption';
import { histogramOption } from './histogramOption';
import { reliabilityOption } from './reliabilityOption';
import { scatterOption } from './scatterOption';
import { sphereOption, type SphereLayoutName, type SphereView } from './sphereOption';

export type ChartName = AnalysisChart;

/** Radians the sphere turns per pixel dragged. */
const dragSpeed = 0.01;

declare global {
  interface Window {
    /** Test seam: the live chart instances, so browser tests can read back what was drawn. */
    embeddingLensCharts?: Partial<Record<ChartName, EChartsType>>;
  }
}

/** The panel's charts: drawn from the last snapshot with the theme's colours as they are now. */
export class ChartSet extends ChartHost<ChartName, PanelSnapshot> {
  private readonly view: SphereView;
  /** The sphere instance the drag handlers are on; a new one (after a classification snapshot) needs its own. */
  private dragged: EChartsType | undefined;

  constructor(containers: Record<ChartName, HTMLElement>) {
    const sphere = containers.sphere;
    const view: SphereView = { layout: 'pca', yaw: 0.6, pitch: 0.35, width: 0, height: 0 };
    // Only a file of pairs has the geometry and retrieval charts; a classification set or a suite leaves them undrawn.
    const ofPairs = (draw: (s: AnalysisSnapshot, p: Palette) => ChartOption) => (s: PanelSnapshot, p: Palette) =>
      isRetrievalSnapshot(s) ? draw(s, p) : undefined;
    const optionFor: Record<ChartName, (s: PanelSnapshot, p: Palette) => ChartOption | undefined> = {
      scatter: ofPairs((s, p) => scatterOption(s.scatter, p)),
      // The sphere's plot is a square sized from its container, read at each draw (and export).
      sphere: ofPairs((s, p) =>
        sphereOption(s.sphere, p, Object.assign(view, { width: sphere.clientWidth, height: sphere.clientHeight })),
      ),
      histogram: ofPairs((s, p) => histogramOption(s.histogram, p)),
      reliability: ofPairs((s, p) => reliabilityOption(s.reliability, p)),
      calibration: ofPairs(calibrationOption),
      zeroShotReliability: (s, p) => s.zeroShot && reliabilityOption(s.zeroShot.detail.reliability, p, 'images'),
      worstClasses: (s, p) => s.zeroShot && worstClassesOption(s.zeroShot, p),
    };
    super(containers, optionFor);
    this.view = view;
    window.embeddingLensCharts = this.charts;
  }

  /** A resize alone would stretch the sphere's square plot; redrawing re-measures it. */
  override resize(): void {
    super.resize();
    this.redrawChart('sphere');
  }

  get sphereLayout(): SphereLayoutName {
    return this.view.layout;
  }

  /** Switches the sphere between its PCA and DOSNES coordinates, keeping the rotation. */
  set sphereLayout(layout: SphereLayoutName) {
    this.view.layout = layout;
    this.redrawChart('sphere');
  }

  override redraw(): void {
    super.redraw();
    const chart = this.charts.sphere;
    if (chart && chart !== this.dragged) this.listenForDrags(chart);
  }

  /** Dragging turns the sphere: left-right about the vertical axis, up-down about the horizontal. */
  private listenForDrags(chart: EChartsType): void {
    this.dragged = chart;
    const zr = chart.getZr();
    let start: { x: number; y: number; yaw: number; pitch: number } | undefined;
    zr.on('mousedown', (e) => {
      start = { x: e.offsetX, y: e.offsetY, yaw: this.view.yaw, pitch: this.view.pitch };
    });
    zr.on('mousemove', (e) => {
      if (!start) return;
      this.view.yaw = start.yaw + (e.offsetX - start.x) * dragSpeed;
      this.view.pitch = Math.max(-Math.PI / 2, Math.min(Math.PI / 2, start.pitch + (e.offsetY - start.y) * dragSpeed));
      this.redrawChart('sphere');
    });
    const stop = () => {
      start = undefined;
    };
    zr.on('mouseup', stop);
    zr.on('globalout', stop);
  }
}
