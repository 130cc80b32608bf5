import type { CompareSnapshot } from '../../../src/protocol/comparePanel';
import { baseOption, valueAxis } from '../charts/chartStyle';
import type { Palette } from '../theme';
import type { CompareChartOption } from './compareEcharts';
import { checkpointColors } from './seriesColors';

/**
 * The uniformity–alignment plane of Wang & Isola (Oh et al.'s Fig. 2): x = alignment, y = uniformity
 * of images ∪ texts, one labelled point per checkpoint; lower-left is better on both.
 */
export function planeOption(s: CompareSnapshot, p: Palette): CompareChartOption {
  const colors = checkpointColors(p);
  const base = baseOption(p);
  // Room around the points for their labels: the axes would otherwise end at the extreme points.
  const padded = (values: number[]) => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const pad = (hi - lo || Math.abs(hi) || 1) * 0.2;
    return { min: lo - pad, max: hi + pad };
  };
  const x = padded(s.checkpoints.map((c) => c.result.alignment));
  const y = padded(s.checkpoints.map((c) => c.result.uniformity));
  const tick = (v: number) => v.toFixed(3);
  return {
    ...base,
    grid: { left: 80, right: 24, top: 36, bottom: 48 },
    legend: { ...base.legend, show: false },
    tooltip: {
      ...base.tooltip,
      trigger: 'item',
      formatter: (params: unknown) => {
        const { seriesName, value } = params as { seriesName: string; value: [number, number] };
        return `${seriesName}\nalignment ${value[0].toFixed(4)}\nuniformity ${value[1].toFixed(4)}`;
      },
    },
    xAxis: {
      ...valueAxis(p, 'alignment (lower is better)', x),
      axisLabel: { color: p.muted, formatter: tick, showMinLabel: false, showMaxLabel: false },
    },
    yAxis: {
      ...valueAxis(p, 'uniformity (lower is better)', { ...y, nameGap: 60 }),
      axisLabel: { color: p.muted, formatter: tick, showMinLabel: false, showMaxLabel: false },
    },
    series: s.checkpoints.map((c, i) => ({
      type: 'scatter' as const,
      name: c.name,
      data: [[c.result.alignment, c.result.uniformity]],
      symbolSize: i === s.baseline ? 16 : 12,
      symbol: i === s.baseline ? 'diamond' : 'circle',
      itemStyle: { color: colors[i] },
      labelLayout: { moveOverlap: 'shiftY' as const },
      label: { show: true, position: 'top' as const, formatter: c.name, color: p.foreground, fontFamily: p.fontFamily },
    })),
  };
}
