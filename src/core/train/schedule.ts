/** Learning rate per optimizer step: linear warm-up to the base rate, then a cosine decay to 0. */
export function cosineWithWarmup(baseLr: number, step: number, totalSteps: number, warmupSteps: number): number {
  if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
  const decaySteps = totalSteps - warmupSteps;
  if (decaySteps <= 0) return baseLr;
  return 0.5 * (1 + Math.cos((Math.PI * (step - warmupSteps)) / decaySteps)) * baseLr;
}

export function warmupSteps(totalSteps: number, fraction: number): number {
  return Math.round(totalSteps * fraction);
}
