/**
 * The TensorFlow.js backend ladder: tfjs-node-gpu -> webgpu -> tfjs-node -> wasm -> cpu. The native
 * packages are optional dependencies that download libtensorflow at install time, so they are
 * required only when resolvable, and every failure to load one is recorded rather than thrown.
 * webgpu (Dawn over Vulkan) is taken under 'auto' only on a hardware adapter (see webgpuRung.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../util/errors';
import { loadWasmBackend } from './wasmBinaries';
import { startWebGpu, webGpuState } from './webgpuRung';

export type BackendName = 'tfjs-node-gpu' | 'webgpu' | 'tfjs-node' | 'wasm' | 'cpu';
export const ladder: BackendName[] = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'];

export interface BackendChoice {
  name: BackendName;
  /** Why each rung above the chosen one was passed over. */
  skipped: string[];
  /** The device behind the backend when it says more than the name (webgpu: the adapter). */
  detail?: string;
}

/** tfjs registers the native backends under the name 'tensorflow' (GPU or not). */
const tfName: Record<BackendName, string> = {
  'tfjs-node-gpu': 'tensorflow',
  'tfjs-node': 'tensorflow',
  webgpu: 'webgpu',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** Starts one rung; returns its detail line, if any. `forced`: the user named this rung. */
async function tryRung(name: BackendName, forced: boolean): Promise<string | undefined> {
  let detail: string | undefined;
  switch (name) {
    case 'tfjs-node-gpu':
    case 'tfjs-node': {
      const pkg = `@tensorflow/${name}`;
      try {
        require.resolve(pkg);
      } catch {
        // Never bundled: it must register with the tfjs-core it brings (which shares the bundled
        // core's engine), and it downloads libtensorflow when installed. Node's resolution finds it
        // beside the extension (npm install in its folder), in a parent node_modules or on NODE_PATH.
        throw new Error(
          `${pkg} is not installed: npm install ${pkg}@4.22.0 in the extension's folder, or put it on NODE_PATH`,
        );
      }
      // Loading registers the 'tensorflow' backend (and fails here if libtensorflow or CUDA is missing).
      require(pkg);
      break;
    }
    case 'webgpu':
      detail = (await startWebGpu(forced)).detail;
      break;
    case 'wasm':
      await loadWasmBackend();
      break;
    case 'cpu':
      require('@tensorflow/tfjs-backend-cpu');
      break;
  }
  if (!(await tf.setBackend(tfName[name]))) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
  return detail;
}

let chosen: BackendChoice | undefined;

/** Picks the first rung that works, or exactly the preferred one when it is not 'auto'. */
export async function initBackend(preferred: BackendName | 'auto' = 'auto'): Promise<BackendChoice> {
  // A lost GPU device is not coming back: choose again, and the webgpu rung then says why it is skipped.
  if (chosen?.name === 'webgpu' && webGpuState()?.lostReason) chosen = undefined;
  if (chosen && (preferred === 'auto' || preferred === chosen.name)) return chosen;
  const rungs = preferred === 'auto' ? ladder : [preferred];
  const skipped: string[] = [];
  for (const name of rungs) {
    try {
      const detail = await tryRung(name, preferred === name);
      chosen = detail ? { name, skipped, detail } : { name, skipped };
      return chosen;
    } catch (err) {
      skipped.push(`${name}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
  }
  // A rung the user forced (setting or --backend) is their input: one line that says which, exit 2 in the CLI.
  if (preferred !== 'auto')
    throw new InputError(
      `the ${preferred} backend`,
      `cannot start (${skipped[0].slice(preferred.length + 2)}); choose another, or auto`,
    );
  throw new Error(`no TensorFlow.js backend could start (${skipped.join('; ')})`);
}

/** Measured matMul throughput of the active backend over about `seconds`, in GFLOP/s. */
export async function probeGflops(seconds = 1, size = 512): Promise<number> {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  try {
    tf.matMul(a, b).dispose(); // first call compiles/warms the kernel
    let runs = 0;
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
      runs++;
    }
    return (2 * size ** 3 * runs) / ((performance.now() - start) / 1000) / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}
