/**
 * `npm run bench -- --engine torch [--n 100000]`: the analysis pass on the torch engine
 * (scripts/bench_torch.py), beside the tfjs fused pass and a fused blocked numpy/OpenBLAS pass
 * (scripts/bench_numpy.py), for N = 5,000 and 20,000 pairs at D = 512 (and N with --n), with the
 * ratios; then the training step on both engines. The interpreter: $EMBEDDING_LENS_PYTHON or python3.
 * Each Python figure is its own process's (seconds of the pass, peak RSS of the process); "torch CLI"
 * is `python -m embedding_lens analyze FILE` end to end on the pairs saved as .npy (memory-mapped).
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { initBackend } from '../src/core/backend/backendLadder';
import { analyze } from '../src/core/metrics/analyze';
import { generateSample } from '../src/core/synthetic/sampleCheckpoint';
import { benchTrainStep } from '../src/core/train/bench';
import { probeTorch } from '../src/core/torch/python';

const dim = 512;
const python = process.env.EMBEDDING_LENS_PYTHON || 'python3';
const scripts = path.join(__dirname, '..', 'scripts');

interface Figure {
  seconds: number;
  gflops: number;
  peak_rss_mb: number;
}

const gflops = (n: number, s: number) => (2 * dim * (n * n + n * (n - 1))) / s / 1e9;

/** The JSON lines a bench script prints, of the kind `bench`. */
function runPython(script: string, args: string[], bench: string): Record<string, unknown>[] {
  const out = execFileSync(python, [path.join(scripts, script), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.bench === bench);
}

async function tfjsFused(n: number): Promise<Figure> {
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const ckpt = generateSample({ pairs: n, dim, seed: 1 });
  const start = performance.now();
  await analyze(ckpt);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  return { seconds, gflops: gflops(n, seconds), peak_rss_mb: peak / 2 ** 20 };
}

const line = (what: string, n: number, f: Figure) =>
  `${what.padEnd(12)} N=${String(n).padStart(7)}  ${f.seconds.toFixed(2).padStart(8)} s  ${f.gflops.toFixed(1).padStart(7)} GFLOP/s  peak RSS ${f.peak_rss_mb.toFixed(0).padStart(6)} MB`;

export async function benchTorchEngine(only: number | undefined): Promise<void> {
  const sizes = only ? [5000, 20000, only].filter((n, i, all) => all.indexOf(n) === i) : [5000, 20000];
  const probe = await probeTorch(python, {
    env: { ...process.env, EMBEDDING_LENS_PYTHON_PACKAGE: path.join(scripts, '..', 'python') },
  });
  if (!probe.ok) {
    console.error(`bench --engine torch: ${probe.reason} (EMBEDDING_LENS_PYTHON names the interpreter)`);
    process.exitCode = 2;
    return;
  }
  const backend = await initBackend('auto');
  console.log(
    `torch engine: ${python}; tfjs on ${backend.name}; D = ${dim}; effective GFLOP/s = 2 D (N^2 + N(N-1)) / seconds`,
  );
  for (const n of sizes) {
    const tfjs = await tfjsFused(n);
    const torch = runPython(
      'bench_torch.py',
      ['--models', '', '--analyze', String(n)],
      'analyze',
    )[0] as unknown as Figure & { device: string };
    const numpy = runPython('bench_numpy.py', ['--n', String(n)], 'analyze-numpy')[0] as unknown as Figure;
    const fromFile = runPython(
      'bench_torch.py',
      ['--models', '', '--analyze', String(n), '--from-file'],
      'analyze-file',
    )[0] as unknown as Figure & { file_mb: number };
    console.log(line('tfjs fused', n, tfjs));
    console.log(line(`torch ${torch.device}`, n, torch));
    console.log(line('numpy', n, numpy));
    console.log(
      `${line('torch CLI', n, { ...fromFile, gflops: gflops(n, fromFile.seconds) })}  (python -m embedding_lens analyze on a ${fromFile.file_mb} MB .npy, start-up and reading included)`,
    );
    console.log(
      `ratios       N=${String(n).padStart(7)}  torch/numpy ${(torch.seconds / numpy.seconds).toFixed(2)}x the time (target <= 1.2 on a CPU), ` +
        `tfjs/torch ${(tfjs.seconds / torch.seconds).toFixed(2)}x, tfjs/numpy ${(tfjs.seconds / numpy.seconds).toFixed(2)}x`,
    );
  }
  for (const t of runPython('bench_torch.py', ['--models', 'heads', '--analyze', ''], 'train')) {
    const rates = t.samples_per_s as Record<string, number>;
    console.log(
      `train torch heads (batch ${String(t.batch)}, D ${dim}, ${String(t.device)}): samples/s CLIP ${rates.clip}, m2-Mix ${rates.m2mix}, m3-Mix ${rates.m3mix}`,
    );
  }
  const wasm = await benchTrainStep({ batchSize: 128, dim });
  console.log(
    `train tfjs (m3-Mix, batch 128, D ${dim}): ${wasm.stepsPerSecond.toFixed(2)} steps/s = ${(128 * wasm.stepsPerSecond).toFixed(0)} samples/s`,
  );
}
