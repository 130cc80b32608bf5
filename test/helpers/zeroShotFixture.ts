/**
 * Deterministic zero-shot analyses, suites and suite comparisons for the webview tests, shaped
 * exactly as src/core/classification/types.ts says: per-image draws are counted into per-class
 * accuracy, confused pairs and reliability bins, so every figure agrees with the others.
 */
import type { SuiteResult, ZeroShotAnalysis } from '../../src/core/classification/types';
import type { ReliabilityBin } from '../../src/core/metrics/types';
import { mulberry32 } from '../../src/core/util/random';
import type { ClassificationSnapshot, SuiteSnapshot } from '../../src/protocol/analysisPanel';
import type { SuiteCompareData } from '../../src/protocol/comparePanel';

export interface ZeroShotFixtureOptions {
  classes: number;
  images: number;
  seed: number;
  /** Mean probability that an image's own class scores highest. */
  skill: number;
  /** Give the classes names (and one with markup in it, which must show as text). */
  named: boolean;
  /** Classes left without images (their accuracy is NaN, null once sent as JSON). */
  empty: number[];
}

export const animalNames = ['cat', 'dog', 'tiger', 'lion', 'wolf', 'fox', 'horse', 'zebra', 'deer', 'elk'];

export function classNameOf(c: number): string {
  return c === 3 ? '<b>lion</b>' : `${animalNames[c % animalNames.length]} ${Math.floor(c / animalNames.length)}`;
}

export function makeZeroShot(opts: Partial<ZeroShotFixtureOptions> = {}): ZeroShotAnalysis {
  const o: ZeroShotFixtureOptions = { classes: 40, images: 2000, seed: 5, skill: 0.7, named: true, empty: [], ...opts };
  const rng = mulberry32(o.seed);
  const { classes } = o;
  const count = new Array<number>(classes).fill(0);
  const hits = new Array<number>(classes).fill(0);
  const confusions = new Map<number, number>();
  const bins = Array.from({ length: 15 }, (_, b) => ({
    lower: b / 15,
    upper: (b + 1) / 15,
    count: 0,
    conf: 0,
    correct: 0,
  }));
  // Each class its own difficulty, so the worst-classes chart has a spread to show.
  const difficulty = Array.from({ length: classes }, () =>
    Math.min(0.98, Math.max(0.02, o.skill + 0.5 * (rng() - 0.5))),
  );
  let top1 = 0;
  let top5 = 0;
  const labelled = Array.from({ length: classes }, (_, c) => c).filter((c) => !o.empty.includes(c));
  for (let i = 0; i < o.images; i++) {
    const label = labelled[Math.floor(rng() * labelled.length)];
    count[label]++;
    const correct = rng() < difficulty[label];
    const rank = correct ? 0 : 1 + Math.floor(rng() * rng() * 10);
    if (correct) {
      hits[label]++;
      top1++;
    } else {
      // Mistakes go mostly to the next class: a few pairs stand out as the most confused.
      const predicted = rng() < 0.6 ? (label + 1) % classes : Math.floor(rng() * classes);
      const wrong = predicted === label ? (label + 2) % classes : predicted;
      confusions.set(label * classes + wrong, (confusions.get(label * classes + wrong) ?? 0) + 1);
    }
    if (rank < 5) top5++;
    const confidence = Math.min(0.999999, 0.2 + 0.8 * rng());
    const bin = bins[Math.floor(confidence * 15)];
    bin.count++;
    bin.conf += confidence;
    bin.correct += correct ? 1 : 0;
  }
  const reliability: ReliabilityBin[] = bins.map((b) => ({
    lower: b.lower,
    upper: b.upper,
    count: b.count,
    confidence: b.count ? b.conf / b.count : 0,
    accuracy: b.count ? b.correct / b.count : 0,
  }));
  const perClass = count.map((n, c) => (n ? (100 * hits[c]) / n : NaN));
  const present = perClass.filter((a) => !Number.isNaN(a));
  const confused = [...confusions.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 20)
    .map(([key, n]): [number, number, number] => [Math.floor(key / classes), key % classes, n]);
  return {
    result: {
      n: o.images,
      classes,
      top1: (100 * top1) / o.images,
      top5: (100 * top5) / o.images,
      balanced: present.reduce((a, b) => a + b, 0) / present.length,
      ece: reliability.reduce((s, b) => s + (b.count / o.images) * Math.abs(b.accuracy - b.confidence), 0),
      ece_tau: 0.01,
      per_class: perClass,
      confused,
    },
    detail: {
      classNames: o.named ? Array.from({ length: classes }, (_, c) => classNameOf(c)) : undefined,
      perClassCount: count,
      reliability,
    },
  };
}

export function makeClassificationSnapshot(opts: Partial<ZeroShotFixtureOptions> = {}): ClassificationSnapshot {
  return {
    kind: 'classification',
    title: 'animals-val.npz',
    files: ['/workspace/classes/animals-val.npz'],
    warnings: [],
    zeroShot: makeZeroShot(opts),
    backend: 'wasm',
    seconds: 0.42,
  };
}

/** An in-distribution set and shifted sets whose accuracy drops as real shifts do; `skill` moves all of them. */
export function makeSuite(
  skill = 0.75,
  seed = 5,
  shiftedNames = ['sketch', 'blur'],
): { suite: SuiteResult; analyses: ZeroShotAnalysis[] } {
  const analyses = [
    makeZeroShot({ skill, seed }),
    ...shiftedNames.map((_, k) => makeZeroShot({ skill: skill * (0.7 - 0.15 * k), seed: seed + k + 1 })),
  ];
  const sets = ['animals-id', ...shiftedNames].map((name, k) => ({
    name,
    files: [`/workspace/classes/${name}.npz`],
    result: analyses[k].result,
  }));
  const shifted = sets.slice(1);
  return {
    suite: {
      suite: 'animals',
      inDistribution: sets[0],
      shifted,
      ood_mean: shifted.reduce((s, set) => s + set.result.top1, 0) / shifted.length,
    },
    analyses,
  };
}

export function makeSuiteSnapshot(): SuiteSnapshot {
  const { suite, analyses } = makeSuite();
  return {
    kind: 'suite',
    title: 'animals',
    files: ['/workspace/classes/animals.suite.json'],
    warnings: [],
    suite,
    zeroShot: analyses[0],
    backend: 'wasm',
    seconds: 1.5,
  };
}

export const suiteCheckpointNames = ['zero-shot.suite.json', 'clip-ft.suite.json', 'm2mix-ft.suite.json'];

/** Three checkpoints' suites: zero-shot, fine-tuned with CLIP loss (higher ID, less robust), and with m²-Mix. */
export function makeSuiteCompareData(): SuiteCompareData {
  const skills = [0.55, 0.85, 0.8];
  return {
    kind: 'suites',
    suites: suiteCheckpointNames.map((name, k) => ({
      name,
      files: [`/workspace/${name}`],
      suite: makeSuite(skills[k], 11 + k).suite,
      seconds: 1 + k,
      warnings: [],
    })),
    backend: 'wasm',
    seconds: 6,
  };
}
