import type { SphereData } from '../../../src/protocol/analysisPanel';
import { formatCount, formatPercent } from '../format';
import type { Palette } from '../theme';
import { baseOption } from './chartStyle';
import type { ChartOption } from './echarts';

/** How the sphere is turned (radians) and how big its square plot is (pixels). */
export interface SphereView {
  yaw: number;
  pitch: number;
  /** Container size in pixels; the plot is the largest square that fits under the legend. */
  width: number;
  height: number;
}

/** Points rotated by yaw about the vertical axis, then pitch about the horizontal one. */
export function rotate(xyz: readonly number[], v: Pick<SphereView, 'yaw' | 'pitch'>): { x: number; y: number; z: number }[] {
  const [cy, sy, cp, sp] = [Math.cos(v.yaw), Math.sin(v.yaw), Math.cos(v.pitch), Math.sin(v.pitch)];
  const out: { x: number; y: number; z: number }[] = [];
  for (let i = 0; i + 2 < xyz.length; i += 3) {
    const [x, y, z] = [xyz[i], xyz[i + 1], xyz[i + 2]];
    const x1 = x * cy + z * sy;
    const z1 = -x * sy + z * cy;
    out.push({ x: x1, y: y * cp - z1 * sp, z: y * sp + z1 * cp });
  }
  return out;
}

const outline = Array.from({ length: 129 }, (_, i) => [Math.cos((i * Math.PI) / 64), Math.sin((i * Math.PI) / 64)]);

/**
 * Orthographic view of the unit sphere: points facing the viewer drawn solid, those on the far
 * side faint; the gap arrow from the mean image point to the mean text point.
 */
export function sphereOption(s: SphereData, p: Palette, v: SphereView): ChartOption {
  const side = Math.max(40, Math.min(v.width - 40, v.height - 56));
  const split = (xyz: number[]) => {
    const front: [number, number][] = [];
    const back: [number, number][] = [];
    for (const q of rotate(xyz, v)) (q.z >= 0 ? front : back).push([q.x, q.y]);
    return { front, back };
  };
  const image = split(s.image);
  const text = split(s.text);
  const [from, to] = rotate([...s.gap.from, ...s.gap.to], v);
  const dots = (name: string, data: [number, number][], color: string, opacity: number) => ({
    type: 'scatter' as const,
    name,
    data,
    symbolSize: data.length > 2000 ? 3 : 4,
    silent: true,
    itemStyle: { color, opacity },
  });
  const axis = { type: 'value' as const, min: -1.05, max: 1.05, show: false };
  const base = baseOption(p);
  return {
    ...base,
    grid: { left: (v.width - side) / 2, top: 40, width: side, height: side },
    legend: { ...base.legend, data: ['image', 'text', 'modality gap'] },
    xAxis: axis,
    yAxis: axis,
    series: [
      { type: 'line', name: 'outline', data: outline, showSymbol: false, silent: true, lineStyle: { color: p.gridLine, width: 1 } },
      dots('image (far side)', image.back, p.image, 0.15),
      dots('text (far side)', text.back, p.text, 0.15),
      dots('image', image.front, p.image, 0.75),
      dots('text', text.front, p.text, 0.75),
      {
        type: 'lines',
        name: 'modality gap',
        coordinateSystem: 'cartesian2d',
        data: [{ coords: [[from.x, from.y], [to.x, to.y]] }],
        symbol: ['circle', 'arrow'],
        symbolSize: [5, 12],
        silent: true,
        lineStyle: { color: p.foreground, width: 2, opacity: 1 },
      },
    ],
  };
}

export function sphereNote(s: SphereData): string {
  const pcs = s.explained.map(formatPercent).join(', ');
  const drawn = s.shown < s.total ? `${formatCount(s.shown)} of ${formatCount(s.total)} pairs (seeded uniform sample)` : `All ${formatCount(s.total)} pairs`;
  return `${drawn} on PC1–PC3 (${pcs} of variance), each point pushed onto the unit sphere; drag to rotate. The arrow runs from the mean image point to the mean text point: the modality gap.`;
}
