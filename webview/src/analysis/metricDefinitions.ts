import type { AnalysisResult } from '../../../src/core/metrics/types';
import { metricInfo, type Better } from '../../../src/protocol/metricInfo';

export { metricValue } from '../../../src/protocol/metricInfo';

export interface MetricDefinition {
  /** Path into AnalysisResult, nested keys joined with '.'; also the card's data-metric. */
  key: string;
  label: string;
  /** The overview tile's name when `label` is too long for it. */
  short?: string;
  better: Better;
  percent: boolean;
  /** Decimals shown (4 unless set): ranks are means of integers and need fewer. */
  decimals?: number;
  explain: (m: AnalysisResult) => string;
}

/** A card's own text; which way is better comes from the shared metric list. */
type Described = Omit<MetricDefinition, 'better'>;

export interface MetricGroup {
  title: string;
  metrics: MetricDefinition[];
}

const geometry: Described[] = [
  {
    key: 'uniformity',
    label: 'Uniformity (images ∪ texts)',
    short: 'Uniformity',
    percent: false,
    explain: (m) => `How evenly all embeddings spread over the sphere: log mean exp(−t‖a−b‖²), t = ${m.uniformity_t}.`,
  },
  {
    key: 'uniformity_image',
    label: 'Uniformity (images)',
    short: 'Unif. images',
    percent: false,
    explain: () => 'How evenly the image embeddings alone spread over the sphere.',
  },
  {
    key: 'uniformity_text',
    label: 'Uniformity (texts)',
    short: 'Unif. texts',
    percent: false,
    explain: () => 'How evenly the text embeddings alone spread over the sphere.',
  },
  {
    key: 'alignment',
    label: 'Alignment',
    percent: false,
    explain: () => 'Mean squared distance between each image and its own caption.',
  },
  {
    key: 'hardest_negative_alignment_i2t',
    label: 'Hardest-negative alignment (image → text)',
    short: 'Hard neg. i→t',
    percent: false,
    explain: () =>
      'Distance to the true caption minus distance to the closest wrong one; negative means the true one is nearer.',
  },
  {
    key: 'hardest_negative_alignment_t2i',
    label: 'Hardest-negative alignment (text → image)',
    short: 'Hard neg. t→i',
    percent: false,
    explain: () =>
      'Distance to the true image minus distance to the closest wrong one; negative means the true one is nearer.',
  },
  {
    key: 'modality_gap',
    label: 'Modality gap',
    percent: false,
    explain: () => 'Distance between the mean image and the mean text embedding: how far apart the two clouds sit.',
  },
];

function retrieval(direction: 'i2t' | 't2i'): Described[] {
  const [query, target] = direction === 'i2t' ? ['image', 'caption'] : ['caption', 'image'];
  // The tiles sit in one grid, so each names its direction.
  const arrow = direction === 'i2t' ? 'i→t' : 't→i';
  const recall = (k: number): Described => ({
    key: `${direction}.R@${k}`,
    label: `R@${k}`,
    short: `R@${k} ${arrow}`,
    percent: true,
    explain: () =>
      k === 1
        ? `Share of ${query} queries whose true ${target} ranks first.`
        : `Share of ${query} queries whose true ${target} is in the top ${k}.`,
  });
  return [
    recall(1),
    recall(5),
    recall(10),
    {
      key: `${direction}.median_rank`,
      label: 'Median rank',
      short: `Med. rank ${arrow}`,
      percent: false,
      decimals: 1,
      explain: () => `Median position of the true ${target} among all candidates (1 = first).`,
    },
    {
      key: `${direction}.mean_rank`,
      label: 'Mean rank',
      short: `Mean rank ${arrow}`,
      percent: false,
      decimals: 2,
      explain: () => `Mean position of the true ${target}; a few bad misses pull it up.`,
    },
  ];
}

const described: { title: string; metrics: Described[] }[] = [
  { title: 'Geometry', metrics: geometry },
  { title: 'Retrieval: image → text', metrics: retrieval('i2t') },
  { title: 'Retrieval: text → image', metrics: retrieval('t2i') },
  {
    title: 'Calibration',
    metrics: [
      {
        key: 'ece',
        label: 'Expected calibration error',
        short: 'ECE (i→t)',
        percent: false,
        explain: (m) =>
          `Gap between retrieval confidence and accuracy (image queries, softmax at τ = ${m.ece_tau}, 15 bins).`,
      },
    ],
  },
];

export const metricGroups: MetricGroup[] = described.map((g) => ({
  title: g.title,
  metrics: g.metrics.map((d) => ({ ...d, better: metricInfo(d.key).better })),
}));
