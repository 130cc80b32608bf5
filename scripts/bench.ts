/**
 * npm run bench: the fused analysis against the naive unfused baseline on generated CLIP-like
 * pairs (D = 512), and the m3-Mix training step. `--n N` runs the fused analysis at one size only
 * (the 100,000-pair memory check: expect minutes). `--engine torch` measures the torch engine beside
 * tfjs and numpy instead (bench-torch-engine.ts).
 *
 * GFLOP/s are effective: 2 D (N^2 + 2 * N(N-1)/2) = the multiply-adds of every distinct similarity
 * (cross pairs and both within-set triangles) once, divided by the wall time, for both variants.
 * Peak RSS is sampled every 10 ms during the run (block workers included: they are threads of this
 * process). tfjs-wasm never returns its heap to the OS, so the fused runs go first: the unfused
 * baseline's N x N matrices would otherwise inflate every later figure.
 */
import { availableParallelism, loadavg } from 'node:os';
import { initBackend } from '../src/core/backend/backendLadder';
import { analyze } from '../src/core/metrics/analyze';
import { analyzeUnfused } from '../src/core/metrics/unfused';
import { generateSample } from '../src/core/synthetic/sampleCheckpoint';
import { benchTrainStep } from '../src/core/train/bench';
import { benchWebgpu } from './bench-webgpu';
import { benchTorchEngine } from './bench-torch-engine';

const dim = 512;
/** analyzeUnfused holds several float32 N x N matrices at once: 100 MB each at 5,000, 1.6 GB at 20,000. */
const unfusedMax = 5000;
const targetSeconds = 3;
/** The memory target: 100,000 pairs with peak RSS under 2 GB (the `--n 100000` run checks it). */
const memoryTargetPairs = 100_000;
const memoryTargetMB = 2000;

interface Run {
  seconds: number;
  peakRssMB: number;
  uniformity: number;
}

async function measure(job: () => Promise<number>): Promise<Run> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const start = performance.now();
  try {
    const uniformity = await job();
    const seconds = (performance.now() - start) / 1000;
    return { seconds, peakRssMB: Math.max(peak, process.memoryUsage().rss) / 2 ** 20, uniformity };
  } finally {
    clearInterval(sampler);
  }
}

const gflops = (n: number, s: number) => (2 * dim * (n * n + n * (n - 1))) / s / 1e9;
const line = (what: string, n: number, r: Run) =>
  `${what.padEnd(8)} N=${String(n).padStart(6)}  ${r.seconds.toFixed(2).padStart(7)} s  ${gflops(n, r.seconds).toFixed(1).padStart(6)} GFLOP/s  ` +
  `peak RSS ${r.peakRssMB.toFixed(0).padStart(5)} MB  uniformity ${r.uniformity.toFixed(9)}`;

async function main(): Promise<void> {
  const backendAt = process.argv.indexOf('--backend');
  if (backendAt > 0) {
    if (process.argv[backendAt + 1] !== 'webgpu')
      throw new Error('--backend takes webgpu (the default run measures wasm)');
    return benchWebgpu();
  }
  const at = process.argv.indexOf('--n');
  const only = at > 0 ? Number(process.argv[at + 1]) : undefined;
  if (only !== undefined && !(Number.isInteger(only) && only >= 2))
    throw new Error(`--n takes a pair count, got ${process.argv[at + 1]}`);
  const engineAt = process.argv.indexOf('--engine');
  if (engineAt > 0) {
    if (process.argv[engineAt + 1] !== 'torch') throw new Error('--engine takes torch (the default run measures tfjs)');
    return benchTorchEngine(only);
  }
  const sizes = only ? [only] : [1000, 5000, 20000];
  const backend = await initBackend('auto');
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(`backend ${backend.name}, ${availableParallelism()} cores, load average ${load}, D = ${dim}`);
  const fused = new Map<number, Run>();
  for (const n of sizes) {
    const ckpt = generateSample({ pairs: n, dim, seed: 1 });
    const r = await measure(async () => (await analyze(ckpt)).result.uniformity);
    fused.set(n, r);
    console.log(line('fused', n, r));
  }
  if (only !== undefined && only >= memoryTargetPairs) {
    const peak = fused.get(only)!.peakRssMB;
    console.log(
      `target: N=100,000 under ${memoryTargetMB} MB peak RSS: ${peak < memoryTargetMB ? 'met' : 'MISSED'} (${peak.toFixed(0)} MB at N=${only})`,
    );
  }
  if (!only) {
    for (const n of sizes) {
      if (n > unfusedMax) {
        console.log(
          `unfused  N=${String(n).padStart(6)}  skipped: it holds float32 N x N matrices (${((4 * n * n) / 1e9).toFixed(1)} GB each)`,
        );
        continue;
      }
      const ckpt = generateSample({ pairs: n, dim, seed: 1 });
      const r = await measure(async () => (await analyzeUnfused(ckpt)).uniformity);
      console.log(`${line('unfused', n, r)}  (fused ${fused.get(n)!.uniformity.toFixed(9)}; unfused sums in float32)`);
    }
    const five = fused.get(5000)!;
    console.log(
      `target: N=5,000 under ${targetSeconds} s: ${five.seconds < targetSeconds ? 'met' : 'MISSED'} (${five.seconds.toFixed(2)} s; analysis only, the CLI adds start-up and reading)`,
    );
    const train = await benchTrainStep({ batchSize: 128, dim: 512 });
    console.log(
      `train step (m3-Mix, batch 128, D 512): ${train.stepsPerSecond.toFixed(2)} steps/s, ${train.gflops.toFixed(1)} GFLOP/s`,
    );
  }
  console.log(
    `process max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, load average now ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
