/** Seeded Beta draws for the mixup ratio lambda, so a run repeats exactly for the same seed. */
import { gaussian, type Rng } from '../util/random';

/** Gamma(shape, 1) by Marsaglia & Tsang (2000); shapes below 1 use the boost Gamma(a) = Gamma(a + 1) U^(1/a). */
export function sampleGamma(rng: Rng, shape: number): number {
  if (shape < 1) {
    let u = 0;
    while (u === 0) u = rng();
    return sampleGamma(rng, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = gaussian(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (u > 0 && Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(a, b) = G1 / (G1 + G2). Both gammas can underflow to 0 for tiny shapes; 0.5 is then the fair answer. */
export function sampleBeta(rng: Rng, a: number, b: number): number {
  const g1 = sampleGamma(rng, a);
  const g2 = sampleGamma(rng, b);
  const sum = g1 + g2;
  return sum > 0 ? g1 / sum : 0.5;
}
