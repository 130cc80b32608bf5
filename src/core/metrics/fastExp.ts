/**
 * exp(x) for x <= 0 by tables and polynomial: the blocked pass takes about 4 N^2 exponentials, and
 * V8's Math.exp is several times slower (docs/performance.md). The softmax at tau = 0.01 puts most of its
 * arguments far below -40, so the tables cover all of [-700, 0]: exp(-i / 64) = exp(-(i >> 6)) *
 * exp(-(i & 63) / 64). Relative error < 1e-13 there (checked in the tests); outside, Math.exp.
 */
const steps = 64;
const range = 700;
const whole = Float64Array.from({ length: range + 1 }, (_, k) => Math.exp(-k));
const fraction = Float64Array.from({ length: steps }, (_, i) => Math.exp(-i / steps));

export function expNonPositive(x: number): number {
  if (!(x <= 0 && x >= -range)) return Math.exp(x);
  // x = -i / steps + r with r in (-1/steps, 0]; both products are exact since steps is a power of 2.
  const y = -x * steps;
  const i = y | 0;
  const r = (i - y) / steps;
  return whole[i >> 6] * fraction[i & 63] * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r / 120)))));
}
