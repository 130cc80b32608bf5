import type { HistogramData } from '../../../src/protocol/analysisPanel';
import type { Palette } from '../theme';
import { baseOption, valueAxis } from './chartStyle';
import type { ChartOption } from './echarts';
import { binRects } from './binRects';

/** Positive-pair vs hardest-negative similarities, drawn overlapping on one similarity axis. */
export function histogramOption(h: HistogramData, p: Palette): ChartOption {
  const bins = (counts: number[]) => counts.map((c, i) => [h.edges[i], h.edges[i + 1], c]);
  const series = (name: string, counts: number[], color: string) => ({
    type: 'custom' as const,
    name,
    data: bins(counts),
    encode: { x: [0, 1], y: 2 },
    itemStyle: { color },
    renderItem: binRects(color, 0.6),
  });
  const base = baseOption(p);
  return {
    ...base,
    tooltip: {
      ...base.tooltip,
      trigger: 'item',
      formatter: (params: unknown) => {
        const { seriesName, value } = params as { seriesName: string; value: [number, number, number] };
        return `${seriesName}\ncosine ${value[0].toFixed(3)} – ${value[1].toFixed(3)}: ${value[2]}`;
      },
    },
    xAxis: valueAxis(p, 'cosine similarity', { min: h.edges[0], max: h.edges[h.edges.length - 1] }),
    yAxis: valueAxis(p, 'count', { nameGap: 40 }),
    series: [
      series('positive pair', h.positive, p.positive),
      series('hardest negative (image → text)', h.hardestNegative, p.negative),
    ],
  };
}
