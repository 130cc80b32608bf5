import type { ScatterData } from '../../../src/protocol/analysisPanel';
import { formatCount, formatPercent } from '../format';
import type { Palette } from '../theme';
import { baseOption, valueAxis } from './chartStyle';
import type { ChartOption } from './echarts';

/** [[x, y], ...] from interleaved x,y. */
function points(interleaved: ArrayLike<number>): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < interleaved.length; i += 2) out.push([interleaved[i], interleaved[i + 1]]);
  return out;
}

/** Thousands of overlapping pair lines would paint a solid blob; fade them as they multiply. */
function pairLineOpacity(pairs: number): number {
  return Math.max(0.02, Math.min(0.1, 25 / pairs));
}

export function scatterOption(s: ScatterData, p: Palette): ChartOption {
  const image = points(s.image);
  const text = points(s.text);
  const joined = s.lines ?? image.map((_, i) => i);
  const pairs = joined.map((i) => ({ coords: [image[i], text[i]] }));
  // Large mode draws the points in one batched path, progressively in chunks: 100,000 per
  // modality stay responsive to zoom, legend toggles and tooltips.
  const dot = (name: string, data: [number, number][], color: string) => ({
    type: 'scatter' as const,
    name,
    data,
    symbolSize: data.length > 20000 ? 2 : data.length > 2000 ? 3 : 5,
    large: true,
    largeThreshold: 2000,
    progressive: 20000,
    progressiveThreshold: 20000,
    itemStyle: { color, opacity: 0.8 },
    emphasis: { scale: 2 },
  });
  const base = baseOption(p);
  return {
    ...base,
    tooltip: {
      ...base.tooltip,
      trigger: 'item',
      formatter: (params: unknown) => {
        const { seriesName, dataIndex, value } = params as {
          seriesName: string;
          dataIndex: number;
          value: [number, number];
        };
        return `${seriesName} ${dataIndex + 1}\nPC1 ${value[0].toFixed(3)}, PC2 ${value[1].toFixed(3)}`;
      },
    },
    // The pair lines are explained in the note; a legend entry for them would only toggle clutter.
    legend: { ...base.legend, data: ['image', 'text'] },
    xAxis: valueAxis(p, `PC1 (${formatPercent(s.explained[0])} of variance)`, { scale: true }),
    yAxis: valueAxis(p, `PC2 (${formatPercent(s.explained[1])} of variance)`, { scale: true, nameGap: 40 }),
    series: [
      {
        type: 'lines',
        name: 'pair',
        coordinateSystem: 'cartesian2d',
        data: pairs,
        large: true,
        silent: true,
        lineStyle: { color: p.foreground, opacity: pairLineOpacity(pairs.length), width: 1 },
      },
      dot('image', image, p.image),
      dot('text', text, p.text),
    ],
  };
}

/** Said under the chart: which pairs are drawn, and which of them are joined by lines. */
export function scatterNote(s: ScatterData): string {
  const drawn =
    s.shown >= s.total
      ? `All ${formatCount(s.total)} pairs`
      : `Showing ${formatCount(s.shown)} of ${formatCount(s.total)} pairs (${s.rule ?? 'a sample'})`;
  const lines = s.lines
    ? `faint lines join image and caption for ${formatCount(s.lines.length)} of them (a seeded uniform sample of ${formatCount(s.lines.length)} pairs)`
    : 'faint lines join each image to its caption';
  return `${drawn}; ${lines}.`;
}
