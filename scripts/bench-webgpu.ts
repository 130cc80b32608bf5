/**
 * The webgpu benchmark: adapter, matMul GFLOP/s, and analyzeOnDevice() seconds for N pairs at
 * D = 512, beside analyze() on wasm at the smallest N (wasm at 100,000 pairs takes tens of minutes,
 * so it is not run there). Usage: node bench-webgpu.js [--sizes 5000,20000,100000] [--budget-mb 2048]
 */
import { initBackend, probeGflops } from '../src/core/backend';
import { analyze } from '../src/core/metrics/analyze';
import { analyzeOnDevice } from '../src/core/metrics/deviceReduce';
import type { AnalysisResult } from '../src/core/metrics/types';
import { generateSample } from '../src/core/sample';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const sizes = arg('sizes', '5000,20000,100000').split(',').map(Number);
const budgetBytes = Number(arg('budget-mb', '2048')) * 2 ** 20;
const dim = 512;

/** Multiply-adds of the pass: both directions' cross products plus the two within-modality triangles. */
const gflop = (n: number) => (2 * dim * (2 * n * n + n * n)) / 1e9;

const keys = ['uniformity', 'alignment', 'hardest_negative_alignment_i2t', 'modality_gap', 'ece'] as const;

async function main(): Promise<void> {
  const gpu = await initBackend('webgpu');
  console.log(`adapter: ${gpu.detail}`);
  console.log(`webgpu matMul 1024: ${(await probeGflops(2, 1024)).toFixed(1)} GFLOP/s`);
  let first: AnalysisResult | undefined;
  for (const n of sizes) {
    const ckpt = generateSample({ pairs: n, dim, seed: 1 });
    await analyzeOnDevice(generateSample({ pairs: 256, dim, seed: 2 }), { memoryBudgetBytes: budgetBytes }); // compiles the shaders
    const start = performance.now();
    const run = await analyzeOnDevice(ckpt, { memoryBudgetBytes: budgetBytes });
    const s = (performance.now() - start) / 1000;
    first ??= run.result;
    console.log(
      `webgpu N=${n} D=${dim}: ${s.toFixed(2)} s, ${(gflop(n) / s).toFixed(0)} GFLOP/s effective, tiles ${run.tile.rows} x ${run.tile.cols}` +
        `${run.notes.length ? `, ${run.notes.join('; ')}` : ''}; R@1 ${run.result.i2t['R@1'].toFixed(2)}, uniformity ${run.result.uniformity.toFixed(5)}`,
    );
  }
  const n = sizes[0];
  await initBackend('wasm');
  const start = performance.now();
  const wasm = await analyze(generateSample({ pairs: n, dim, seed: 1 }), { memoryBudgetBytes: 512 * 2 ** 20 });
  const s = (performance.now() - start) / 1000;
  const diff = Math.max(...keys.map((k) => Math.abs(wasm.result[k] - first![k])));
  console.log(`wasm   N=${n} D=${dim}: ${s.toFixed(2)} s, ${(gflop(n) / s).toFixed(0)} GFLOP/s effective; max |webgpu - wasm| over ${keys.join(', ')}: ${diff.toExponential(1)}`);
  console.log(`wasm at N=${sizes[sizes.length - 1]} not run: about ${((s * (sizes[sizes.length - 1] / n) ** 2) / 60).toFixed(0)} min by N^2 scaling`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
