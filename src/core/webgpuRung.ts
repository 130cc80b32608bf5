/**
 * The webgpu rung: TensorFlow.js on WebGPU through Dawn's Node bindings (npm `webgpu`), which drive
 * Vulkan on Linux. We pick the adapter ourselves instead of letting tfjs-backend-webgpu take the
 * default one, so a software adapter (llvmpipe, SwiftShader) is refused under 'auto': it is slower
 * than wasm.
 */
import * as tf from '@tensorflow/tfjs-core';

/** What deviceReduce needs to size its tiles and to notice a lost device. */
export interface WebGpuState {
  device: GPUDeviceLike;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** "vendor architecture (description)" for the status bar. */
  detail: string;
  software: boolean;
  /** Set once Dawn reports the device lost; the rung is then refused for the rest of the process. */
  lostReason?: string;
}

/** The slice of GPUDevice we use (the DOM lib types are not in the core's tsconfig). */
export interface GPUDeviceLike {
  pushErrorScope(filter: 'out-of-memory' | 'validation' | 'internal'): void;
  popErrorScope(): Promise<{ message: string } | null>;
  destroy(): void;
  lost: Promise<{ reason: string; message: string }>;
}

interface AdapterInfoLike {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}

interface AdapterLike {
  info: AdapterInfoLike;
  isFallbackAdapter?: boolean;
  limits: Record<string, number>;
  features: Set<string>;
  requestDevice(desc: object): Promise<GPUDeviceLike>;
}

interface DawnModule {
  create(options: string[]): { requestAdapter(opts: object): Promise<AdapterLike | null> };
  globals: Record<string, unknown>;
}

let state: WebGpuState | undefined;

export function webGpuState(): WebGpuState | undefined {
  return state;
}

/** A job's one line for a lost device, or undefined while the device is not known to be lost. */
export function deviceLostError(job: string): Error | undefined {
  const reason = tf.getBackend() === 'webgpu' ? state?.lostReason : undefined;
  return reason ? new Error(`the GPU device was lost (${reason}); rerun the ${job}: the next backend of the ladder will be used`) : undefined;
}

/** How long a failed job waits for Dawn to report a loss: a read the loss aborted can reject first. */
const lossReportMs = 200;

/** deviceLostError for a job that just failed on webgpu, once Dawn has had time to report a loss. */
export async function afterDeviceLoss(job: string): Promise<Error | undefined> {
  const gpu = tf.getBackend() === 'webgpu' ? state : undefined;
  if (gpu && !gpu.lostReason) await Promise.race([gpu.device.lost, new Promise((resolve) => setTimeout(resolve, lossReportMs))]);
  return deviceLostError(job);
}

/** The largest binding, in bytes, the active backend takes: the webgpu adapter's, or unbounded. */
export function bindingLimit(): number {
  const gpu = tf.getBackend() === 'webgpu' ? state : undefined;
  return gpu ? Math.min(gpu.maxBufferSize, gpu.maxStorageBufferBindingSize) : Number.MAX_SAFE_INTEGER;
}

/** The npm package's index is ESM (unloadable by require on Node 20), so load its native addon directly. */
function loadDawn(): DawnModule {
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  const addon = `webgpu/dist/${process.platform}-${arch}/dawn.node`;
  try {
    require.resolve(addon);
  } catch {
    throw new Error(`the webgpu package has no Dawn build for ${process.platform}-${arch}`);
  }
  return require(addon) as DawnModule;
}

const softwareName = /llvmpipe|lavapipe|swiftshader|software/i;

function describe(info: AdapterInfoLike): string {
  const parts = [info.vendor, info.architecture].filter(Boolean).join(' ');
  const desc = info.description || info.device;
  return desc ? `${parts} (${desc})` : parts || 'unnamed adapter';
}

/** Limits tfjs-backend-webgpu asks for in its own factory; the defaults cap buffers at 128-256 MiB. */
const raisedLimits = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
];

/** Starts (once) the webgpu backend; throws with the reason when there is no usable adapter. */
export async function startWebGpu(allowSoftware: boolean): Promise<WebGpuState> {
  if (state?.lostReason) throw new Error(`the GPU device was lost earlier in this session (${state.lostReason})`);
  if (state) {
    if (state.software && !allowSoftware) throw new Error(`only a software adapter: ${state.detail}`);
    return state;
  }
  const dawn = loadDawn();
  // tfjs-backend-webgpu reads GPUBufferUsage, GPUMapMode... as globals and checks navigator.gpu.
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in g)) g[k] = v;
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn found no WebGPU adapter (no Vulkan loader or driver?)');
  const info = adapter.info;
  const software = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || softwareName.test(`${info.architecture} ${info.device} ${info.description}`);
  const detail = describe(info);
  if (software && !allowSoftware) throw new Error(`only a software adapter: ${detail} (set the backend to webgpu to use it anyway)`);
  const requiredLimits: Record<string, number> = {};
  for (const k of raisedLimits) requiredLimits[k] = adapter.limits[k];
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  if (!g.navigator) g.navigator = {};
  (g.navigator as Record<string, unknown>).gpu ??= gpu;
  // Required only now: on import the package registers its own factory when navigator.gpu exists.
  const { WebGPUBackend } = require('@tensorflow/tfjs-backend-webgpu') as typeof import('@tensorflow/tfjs-backend-webgpu');
  const backend = new WebGPUBackend(device as never, info as never);
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => backend);
  const started: WebGpuState = {
    device,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    detail,
    software,
  };
  device.lost.then((lost) => {
    started.lostReason = lost.message || lost.reason || 'unknown reason';
  });
  state = started;
  return started;
}
