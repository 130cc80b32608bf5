/**
 * exp(x) for x <= 0 by table and polynomial: the blocked pass takes about 4 N^2 exponentials, and
 * V8's Math.exp measured 2-3x slower than this here. Relative error < 1e-13 on [-40, 0] (checked in
 * the tests); outside that range it defers to Math.exp.
 */
const steps = 64;
const range = 40;
const table = Float64Array.from({ length: range * steps + 1 }, (_, i) => Math.exp(-i / steps));

export function expNonPositive(x: number): number {
  if (!(x <= 0 && x >= -range)) return Math.exp(x);
  // x = -i / steps + r with r in (-1/steps, 0]; both products are exact since steps is a power of 2.
  const y = -x * steps;
  const i = y | 0;
  const r = (i - y) / steps;
  return table[i] * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r / 120)))));
}
