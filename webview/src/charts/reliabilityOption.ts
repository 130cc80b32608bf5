import type { ReliabilityBin } from '../../../src/core/metrics/types';
import type { Palette } from '../theme';
import { binRects } from './binRects';
import { baseOption, valueAxis } from './chartStyle';
import type { ChartOption } from './echarts';

/** A short dash, so the legend shows the diagonal as a line rather than a block. */
const diagonalIcon = 'path://M0,4h4v2h-4zM6,4h4v2h-4zM12,4h4v2h-4z';

/** Accuracy per confidence bin against the diagonal of perfect calibration; `counted` names what a bin counts. */
export function reliabilityOption(bins: ReliabilityBin[], p: Palette, counted = 'queries'): ChartOption {
  const filled = bins.filter((b) => b.count > 0);
  const base = baseOption(p);
  return {
    ...base,
    tooltip: {
      ...base.tooltip,
      trigger: 'item',
      formatter: (params: unknown) => {
        const [lower, upper, accuracy, confidence, count] = (params as { value: number[] }).value;
        return `confidence ${lower.toFixed(2)} – ${upper.toFixed(2)}\n${count} ${counted}\nmean confidence ${confidence.toFixed(3)}\naccuracy ${accuracy.toFixed(3)}`;
      },
    },
    legend: { ...base.legend, data: ['accuracy', { name: 'perfect calibration', icon: diagonalIcon }] },
    xAxis: valueAxis(p, 'confidence', { min: 0, max: 1 }),
    yAxis: valueAxis(p, 'accuracy', { min: 0, max: 1, nameGap: 40 }),
    series: [
      {
        type: 'custom',
        name: 'accuracy',
        data: filled.map((b) => [b.lower, b.upper, b.accuracy, b.confidence, b.count]),
        encode: { x: [0, 1], y: 2 },
        itemStyle: { color: p.bars },
        renderItem: binRects(p.bars, 0.85),
      },
      {
        type: 'lines',
        name: 'perfect calibration',
        coordinateSystem: 'cartesian2d',
        data: [
          {
            coords: [
              [0, 0],
              [1, 1],
            ],
          },
        ],
        silent: true,
        lineStyle: { color: p.muted, type: 'dashed', width: 1, opacity: 0.9 },
      },
    ],
  };
}
