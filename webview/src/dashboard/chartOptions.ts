import type { DashboardChart, DashboardSnapshot } from '../../../src/protocol/dashboard';
import { baseOption, valueAxis } from '../charts/chartStyle';
import type { Palette } from '../theme';
import type { LineChartOption, LineSeriesOption } from './dashboardEcharts';

export type { DashboardChart };

interface Line {
  name: string;
  x: number[];
  y: (number | null)[];
  color: string;
  dashed?: boolean;
  /** 1: the right-hand axis, for a quantity whose scale would flatten the others. */
  axis?: 0 | 1;
}

function series(l: Line, symbols: boolean): LineSeriesOption {
  return {
    type: 'line',
    name: l.name,
    data: l.x.map((x, i) => [x, l.y[i]]),
    yAxisIndex: l.axis ?? 0,
    showSymbol: symbols,
    symbolSize: 6,
    // A null (non-finite loss) breaks the line instead of dropping to zero.
    connectNulls: false,
    itemStyle: { color: l.color },
    lineStyle: { color: l.color, width: 2, type: l.dashed ? 'dashed' : 'solid' },
    emphasis: { disabled: true },
  };
}

/** Small magnitudes (learning rates) in exponent form rather than as 0.00008. */
const tick = (v: number): string => (v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(0) : String(v));

function lineOption(
  p: Palette,
  xName: string,
  yNames: [string, string?],
  lines: Line[],
  perEpoch: boolean,
): LineChartOption {
  const yAxis = (name: string, right: boolean) => {
    const axis = valueAxis(p, name, { scale: true, nameGap: right ? 44 : 48 });
    return {
      ...axis,
      position: right ? ('right' as const) : ('left' as const),
      axisLabel: { ...axis.axisLabel, formatter: tick },
      splitLine: { ...axis.splitLine, show: !right },
    };
  };
  // The shared look (font, colours, tooltip), without the analysis charts' series types.
  const { animation, backgroundColor, textStyle, grid, legend, tooltip } = baseOption(p);
  return {
    animation,
    backgroundColor,
    textStyle,
    tooltip: {
      ...tooltip,
      trigger: 'axis',
      valueFormatter: (v) =>
        typeof v === 'number' ? (Math.abs(v) < 0.01 && v !== 0 ? v.toExponential(2) : v.toFixed(4)) : '—',
    },
    legend: { ...legend, data: lines.map((l) => l.name) },
    grid: { ...grid, left: 64, right: yNames[1] === undefined ? 20 : 64 },
    // Steps and epochs are whole numbers; epochs start at 0 (the eval before training).
    xAxis: { ...valueAxis(p, xName, perEpoch ? { min: 0 } : { scale: true }), minInterval: 1 },
    yAxis: yNames[1] === undefined ? yAxis(yNames[0], false) : [yAxis(yNames[0], false), yAxis(yNames[1], true)],
    series: lines.map((l) => series(l, perEpoch)),
  };
}

const termNames: Record<string, string> = {
  clip: 'CLIP',
  m2mix: 'm²-Mix',
  vmix: 'V-Mix',
  lmix: 'L-Mix',
  vlmix: 'VL-Mix',
};

export function lossOption(s: DashboardSnapshot, p: Palette): LineChartOption {
  const x = s.steps.step;
  const colours: Record<string, string> = {
    clip: p.image,
    m2mix: p.bars,
    vmix: p.positive,
    lmix: p.text,
    vlmix: p.negative,
  };
  const terms = Object.entries(s.steps.components).map(([term, y]) => ({
    name: termNames[term] ?? term,
    x,
    y: y ?? [],
    color: colours[term] ?? p.muted,
  }));
  return lineOption(p, 'step', ['loss'], [{ name: 'total', x, y: s.steps.loss, color: p.foreground }, ...terms], false);
}

export function lrOption(s: DashboardSnapshot, p: Palette): LineChartOption {
  return lineOption(
    p,
    'step',
    ['learning rate'],
    [{ name: 'learning rate', x: s.steps.step, y: s.steps.lr, color: p.positive }],
    false,
  );
}

export function geometryOption(s: DashboardSnapshot, p: Palette): LineChartOption {
  const e = s.evals;
  return lineOption(
    p,
    'epoch',
    ['uniformity', 'alignment'],
    [
      { name: 'uniformity', x: e.epoch, y: e.uniformity, color: p.bars },
      { name: 'alignment', x: e.epoch, y: e.alignment, color: p.positive, axis: 1 },
    ],
    true,
  );
}

export function hardNegativeOption(s: DashboardSnapshot, p: Palette): LineChartOption {
  const e = s.evals;
  return lineOption(
    p,
    'epoch',
    ['hardest-negative alignment', 'modality gap'],
    [
      { name: 'hardest-neg. alignment i2t', x: e.epoch, y: e.hardestNegativeAlignmentI2t, color: p.image },
      { name: 'hardest-neg. alignment t2i', x: e.epoch, y: e.hardestNegativeAlignmentT2i, color: p.text },
      { name: 'modality gap', x: e.epoch, y: e.modalityGap, color: p.muted, dashed: true, axis: 1 },
    ],
    true,
  );
}

export function recallOption(s: DashboardSnapshot, p: Palette): LineChartOption {
  const e = s.evals;
  return lineOption(
    p,
    'epoch',
    ['R@1 (%)'],
    [
      { name: 'image → text', x: e.epoch, y: e.r1I2t, color: p.image },
      { name: 'text → image', x: e.epoch, y: e.r1T2i, color: p.text },
    ],
    true,
  );
}

/**
 * Each eval suite's in-distribution top-1 (solid) and mean shifted top-1 (dashed), the best epoch
 * marked; undefined for a run without evalSuites (its panel is hidden).
 */
export function suitesOption(s: DashboardSnapshot, p: Palette): LineChartOption | undefined {
  const e = s.evals;
  if (!e.suites?.length) return undefined;
  const colours = [p.image, p.text, p.bars, p.positive, p.negative];
  const lines = e.suites.flatMap((suite, k) => [
    { name: `${suite.name}: in-distribution`, x: e.epoch, y: suite.idTop1, color: colours[k % colours.length] },
    {
      name: `${suite.name}: shifted (mean)`,
      x: e.epoch,
      y: suite.oodMean,
      color: colours[k % colours.length],
      dashed: true,
    },
  ]);
  const option = lineOption(p, 'epoch', ['top-1 accuracy (%)'], lines, true);
  const [first] = option.series as LineSeriesOption[];
  if (s.bestEpoch !== undefined) {
    first.markLine = {
      symbol: 'none',
      silent: true,
      lineStyle: { color: p.muted, type: 'dotted' },
      label: { color: p.muted, formatter: 'best' },
      data: [{ xAxis: s.bestEpoch }],
    };
  }
  return option;
}

export const optionFor: Record<DashboardChart, (s: DashboardSnapshot, p: Palette) => LineChartOption | undefined> = {
  loss: lossOption,
  lr: lrOption,
  geometry: geometryOption,
  hardNegative: hardNegativeOption,
  recall: recallOption,
  suites: suitesOption,
};
