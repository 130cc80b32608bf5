import type { CustomSeriesRenderItem } from 'echarts';

/**
 * Draws data items [lower, upper, height] as bars spanning exactly [lower, upper] on a value axis
 * (ECharts' own bars sit on category slots or have pixel widths, neither of which fits bin edges).
 */
export function binRects(color: string, opacity: number): CustomSeriesRenderItem {
  return (_params, api) => {
    const height = Number(api.value(2));
    if (!(height > 0)) return null;
    const [x0, y0] = api.coord([api.value(0), height]);
    const [x1, y1] = api.coord([api.value(1), 0]);
    return {
      type: 'rect',
      shape: { x: x0, y: y0, width: Math.max(1, x1 - x0 - 1), height: y1 - y0 },
      style: { fill: color, opacity },
    };
  };
}
