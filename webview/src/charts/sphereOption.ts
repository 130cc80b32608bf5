import type { SphereData, SphereLayout } from '../../../src/protocol/analysisPanel';
import { formatCount, formatPercent } from '../format';
import type { Palette } from '../theme';
import { baseOption } from './chartStyle';
import type { ChartOption } from './echarts';

/** Which coordinates the sphere draws: PCA-3 pushed onto the sphere, or the DOSNES layout. */
export type SphereLayoutName = 'pca' | 'dosnes';

/** How the sphere is turned (radians), how big its square plot is (pixels), and which layout it draws. */
export interface SphereView {
  layout: SphereLayoutName;
  yaw: number;
  pitch: number;
  /** Container size in pixels; the plot is the largest square that fits under the legend. */
  width: number;
  height: number;
}

/** Points rotated by yaw about the vertical axis, then pitch about the horizontal one. */
export function rotate(
  xyz: ArrayLike<number>,
  v: Pick<SphereView, 'yaw' | 'pitch'>,
): { x: number; y: number; z: number }[] {
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
export function sphereOption(data: SphereData, p: Palette, v: SphereView): ChartOption {
  // Until the host has sent the DOSNES layout, the PCA one stands in.
  const dosnes = v.layout === 'dosnes' ? data.dosnes : undefined;
  const s: SphereLayout = dosnes ?? data;
  const side = Math.max(40, Math.min(v.width - 40, v.height - 56));
  const split = (xyz: ArrayLike<number>) => {
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
  // The arcs live in the PCA axes (DOSNES has no map for points it was not fitted on).
  const arcs = dosnes ? undefined : data.arcs;
  const arcSeries = arcs
    ? [
        {
          type: 'lines' as const,
          name: 'geodesic mix',
          coordinateSystem: 'cartesian2d',
          polyline: true,
          data: arcs.arcs.map((arc) => ({ coords: rotate(arc, v).map((q) => [q.x, q.y]) })),
          silent: true,
          lineStyle: { color: p.foreground, width: 1, opacity: 0.25 },
        },
        dots(
          'mixed hard negative',
          rotate(arcs.negatives, v).map((q) => [q.x, q.y]),
          p.foreground,
          0.8,
        ),
      ]
    : [];
  const axis = { type: 'value' as const, min: -1.05, max: 1.05, show: false };
  const base = baseOption(p);
  return {
    ...base,
    grid: { left: (v.width - side) / 2, top: 40, width: side, height: side },
    legend: {
      ...base.legend,
      data: ['image', 'text', 'modality gap', ...(arcs ? ['geodesic mix', 'mixed hard negative'] : [])],
    },
    xAxis: axis,
    yAxis: axis,
    series: [
      {
        type: 'line',
        name: 'outline',
        data: outline,
        showSymbol: false,
        silent: true,
        lineStyle: { color: p.gridLine, width: 1 },
      },
      dots('image (far side)', image.back, p.image, 0.15),
      dots('text (far side)', text.back, p.text, 0.15),
      dots('image', image.front, p.image, 0.75),
      dots('text', text.front, p.text, 0.75),
      {
        type: 'lines',
        name: 'modality gap',
        coordinateSystem: 'cartesian2d',
        data: [
          {
            coords: [
              [from.x, from.y],
              [to.x, to.y],
            ],
          },
        ],
        symbol: ['circle', 'arrow'],
        symbolSize: [5, 12],
        silent: true,
        lineStyle: { color: p.foreground, width: 2, opacity: 1 },
      },
      ...arcSeries,
    ],
  };
}

export function sphereNote(s: SphereData, layout: SphereLayoutName): string {
  const gap = 'The arrow runs from the mean image point to the mean text point: the modality gap.';
  const a = s.arcs;
  const arcs = a
    ? ` Lines: geodesic mixes m_λ(image, text) of ${formatCount(a.arcs.length)} pairs (seeded sample), as this run's m²-Mix mixed them; ` +
      (a.lambda !== undefined
        ? `each dot is the hard negative at λ = ${a.lambda.toFixed(3)}, the m²-Mix λ of the last training step before this checkpoint (one λ per batch).`
        : `each dot marks one λ drawn from the run's Beta(${a.beta}, ${a.beta}) seeded with ${a.seed}: this checkpoint records no λ, so this is where such hard negatives fall.`)
    : '';
  if (layout === 'dosnes' && s.dosnes) {
    const pairs = s.dosnes.dosnesPairs;
    const drawn =
      pairs < s.total
        ? `${formatCount(pairs)} of ${formatCount(s.total)} pairs (seeded uniform sample)`
        : `All ${formatCount(s.total)} pairs`;
    return `${drawn} laid out by DOSNES (t-SNE on the sphere, perplexity 30, started from the PCA view); drag to rotate. Neighbourhoods are kept, distances between groups are not. ${gap}${a ? ' The geodesic mixes are drawn in the PCA view only.' : ''}`;
  }
  const pcs = s.explained.map(formatPercent).join(', ');
  const drawn =
    s.shown < s.total
      ? `${formatCount(s.shown)} of ${formatCount(s.total)} pairs (seeded uniform sample)`
      : `All ${formatCount(s.total)} pairs`;
  return `${drawn} on PC1–PC3 (${pcs} of variance), each point pushed onto the unit sphere; drag to rotate. ${gap}${arcs}`;
}
