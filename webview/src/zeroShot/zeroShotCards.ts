import type { ZeroShotResult } from '../../../src/core/classification/types';
import { zeroShotMetricInfos } from '../../../src/protocol/metricInfo';
import { formatCount } from '../format';
import { metricCard } from '../analysis/metricCards';

const explanations: Record<string, (z: ZeroShotResult) => string> = {
  top1: (z) =>
    `Share of the ${formatCount(z.n)} images whose own class scores highest among ${formatCount(z.classes)}.`,
  top5: () => 'Share of images whose own class is among the five highest-scoring.',
  balanced: () => 'Top-1 accuracy of each class, averaged over classes: rare classes count as much as common ones.',
  ece: (z) => `Gap between confidence (softmax over classes at τ = ${z.ece_tau}) and accuracy, 15 bins.`,
};

/** top-1, top-5, balanced accuracy and ECE; keys are prefixed so they never clash with the retrieval cards. */
export function zeroShotCards(z: ZeroShotResult): HTMLElement[] {
  return zeroShotMetricInfos.map((info) =>
    metricCard({
      ...info,
      key: `zero_shot.${info.key}`,
      label: info.label[0].toUpperCase() + info.label.slice(1),
      value: z[info.key as keyof ZeroShotResult] as number,
      explain: explanations[info.key](z),
    }),
  );
}
