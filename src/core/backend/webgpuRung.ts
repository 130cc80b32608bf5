/**
 * The webgpu rung: TensorFlow.js on WebGPU through Dawn's Node bindings (npm `webgpu`), which drive
 * Vulkan on Linux. We pick the adapter ourselves instead of letting tfjs-backend-webgpu take the
 * default one, so a software adapter (llvmpipe, SwiftShader) is refused under 'auto': it is slower
 * than wasm.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { withoutDawnLimitNotes } from './dawnStderr';
import { DeviceLostError } from '../util/errors';
import { dawnNotPackaged, dawnTargets, hostTarget, packageTarget } from './packageTarget';

/** What devicePass needs to size its tiles and to notice a lost device. */
export interface WebGpuState {
  device: GPUDeviceLike;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** "vendor architecture (description)" for the status bar. */
  detail: string;
  software: boolean;
  /** Set once Dawn reports the device lost; the rung is then refused for the rest of the process. */
  lostReason?: string;
  /** Dawn's "… artificially reduced from N to 16 …" lines, kept off stderr where that can be done (dawnStderr.ts). */
  dawnNotes?: string[];
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

/** The webgpu rung's state while webgpu is the active backend. */
export function activeWebGpu(): WebGpuState | undefined {
  return tf.getBackend() === 'webgpu' ? state : undefined;
}

/** A job's one line for a lost device, or undefined while the device is not known to be lost. */
export function deviceLostError(job: string): DeviceLostError | undefined {
  const reason = activeWebGpu()?.lostReason;
  return reason
    ? new DeviceLostError(
        `the GPU device was lost (${reason}); rerun the ${job}: the next backend of the ladder will be used`,
      )
    : undefined;
}

/** How long a failed job waits for Dawn to report a loss: a read the loss aborted can reject first. */
const lossReportMs = 200;

/** deviceLostError for a job that just failed on webgpu, once Dawn has had time to report a loss. */
export async function afterDeviceLoss(job: string): Promise<DeviceLostError | undefined> {
  const gpu = activeWebGpu();
  if (gpu && !gpu.lostReason)
    await Promise.race([gpu.device.lost, new Promise((resolve) => setTimeout(resolve, lossReportMs))]);
  return deviceLostError(job);
}

/** The part of tfjs-backend-webgpu's BufferManager (buffer_manager.ts) that holds released buffers for reuse. */
interface BufferPool {
  freeBuffers: Map<string, { size: number; destroy(): void }[]>;
  numFreeBuffers: number;
  numBytesAllocated: number;
}

/**
 * Gives the GPU back the memory tfjs keeps in its pool of released buffers: it never frees them, so
 * a worker that ran an analysis with 2 GiB tiles would hold 2 GiB of the GPU for the rest of the
 * session, beside the user's own PyTorch jobs. Called between jobs; within a job the pool saves
 * allocations. Buffers still used by queued work are freed by Dawn once that work is done.
 */
export function releasePooledBuffers(): void {
  if (!activeWebGpu()) return;
  const pool = (tf.backend() as unknown as { bufferManager?: Partial<BufferPool> }).bufferManager;
  if (!(pool?.freeBuffers instanceof Map)) return;
  for (const buffers of pool.freeBuffers.values()) {
    for (const b of buffers) {
      b.destroy();
      pool.numBytesAllocated! -= b.size;
    }
    // Emptied, not deleted: tfjs takes an empty map for a disposed pool and stops pooling.
    buffers.length = 0;
  }
  pool.numFreeBuffers = 0;
}

/** An error the device reported for work queued in withDeviceErrors, its message's first line. */
export interface DeviceError {
  kind: 'out of memory' | 'validation';
  message: string;
}

/** One line for a device error: "the GPU ran out of memory<where> (…)" or "the GPU rejected a kernel<where> (…)". */
export function deviceErrorLine(e: DeviceError, where: string): string {
  return `the GPU ${e.kind === 'out of memory' ? 'ran out of memory' : 'rejected a kernel'}${where} (${e.message})`;
}

/** Opens out-of-memory and validation scopes on `device`; the function returned closes them. */
function openDeviceErrorScopes(device: GPUDeviceLike): () => Promise<DeviceError | undefined> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  return () => {
    const validation = device.popErrorScope();
    const oom = device.popErrorScope();
    const firstLine = (e: { message: string }) =>
      e.message
        .split('\n')
        .find((l) => l.trim())
        ?.trim() ?? 'no message';
    return Promise.all([oom, validation]).then(([o, v]): DeviceError | undefined =>
      o
        ? { kind: 'out of memory', message: firstLine(o) }
        : v
          ? { kind: 'validation', message: firstLine(v) }
          : undefined,
    );
  };
}

/**
 * Runs `queue` (work for the active backend) inside WebGPU error scopes where that is webgpu, and
 * gives the first error the device reports for it. Either kind would otherwise pass without a
 * word: the kernels that read a failed or over-limit buffer get zeros.
 */
export function withDeviceErrors<T>(queue: () => T): { value: T; error: Promise<DeviceError | undefined> } {
  const gpu = activeWebGpu();
  if (!gpu) return { value: queue(), error: Promise.resolve(undefined) };
  const close = openDeviceErrorScopes(gpu.device);
  let value: T;
  try {
    value = queue();
  } catch (err) {
    // Closed all the same, so the device's stack of scopes stays balanced.
    close().catch(() => undefined);
    throw err;
  }
  return { value, error: close() };
}

/**
 * withDeviceErrors for asynchronous work, which must be the device's only work meanwhile (a
 * worker runs one job at a time). A throw from `run` closes the scopes and passes on.
 */
export async function withDeviceErrorsAsync<T>(run: () => Promise<T>): Promise<{ value: T; error?: DeviceError }> {
  const gpu = activeWebGpu();
  if (!gpu) return { value: await run() };
  const close = openDeviceErrorScopes(gpu.device);
  let value: T;
  try {
    value = await run();
  } catch (err) {
    close().catch(() => undefined);
    throw err;
  }
  return { value, error: await close() };
}

/** withDeviceErrorsAsync where any device error fails `what` in one line. */
export async function guardDevice<T>(what: string, run: () => Promise<T>): Promise<T> {
  const { value, error } = await withDeviceErrorsAsync(run);
  if (error) throw new Error(deviceErrorLine(error, ` in the ${what}`));
  return value;
}

/** The largest binding, in bytes, the active backend takes: the webgpu adapter's, or unbounded. */
export function bindingLimit(): number {
  const gpu = activeWebGpu();
  return gpu ? Math.min(gpu.maxBufferSize, gpu.maxStorageBufferBindingSize) : Number.MAX_SAFE_INTEGER;
}

/**
 * The path of Dawn's native addon. A platform package carries its own build in dist/dawn/ beside
 * the bundle (scripts/package.mjs); the universal package none, and a package built for another
 * platform the wrong one: either is one line naming the package to install, and the ladder goes on.
 * A checkout loads it from the npm package (whose index is ESM, unloadable by require on Node 20).
 */
function dawnAddon(): string {
  const host = hostTarget();
  const folder = dawnTargets[host] ?? host;
  const packaged = path.join(__dirname, 'dawn', folder, 'dawn.node');
  if (existsSync(packaged)) return packaged;
  const notPackaged = dawnNotPackaged(packageTarget());
  if (notPackaged) throw new Error(notPackaged);
  try {
    return require.resolve(`webgpu/dist/${folder}/dawn.node`);
  } catch {
    throw new Error(`the webgpu package has no Dawn build for ${host}`);
  }
}

const softwareName = /llvmpipe|lavapipe|swiftshader|software/i;

const isSoftware = (info: AdapterInfoLike, fallback: boolean | undefined): boolean =>
  Boolean(fallback) || softwareName.test(`${info.architecture} ${info.device} ${info.description}`);

/**
 * The adapter Dawn would give, asked in a child process. Under 'auto' a software adapter is refused
 * anyway, and creating Dawn's instance in this process prints its warnings about the software
 * driver's limits to our stderr: two lines on every CLI run of a machine with Mesa's lavapipe.
 */
function probeAdapter(addon: string): { info: AdapterInfoLike; fallback?: boolean } | null {
  const code = `require(${JSON.stringify(addon)}).create([]).requestAdapter({ powerPreference: 'high-performance' }).then((a) => {
    const i = a && a.info;
    process.stdout.write(JSON.stringify(a && { info: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description }, fallback: a.isFallbackAdapter ?? i.isFallbackAdapter }));
    process.exit(0);
  }, (e) => { process.stdout.write(JSON.stringify({ error: String(e && e.message) })); process.exit(0); });`;
  // In VS Code the worker's execPath is Electron, which runs as plain Node with this variable.
  const run = spawnSync(process.execPath, ['-e', code], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  const reply =
    run.status === 0
      ? (JSON.parse(run.stdout || 'null') as { info: AdapterInfoLike; fallback?: boolean; error?: string } | null)
      : undefined;
  if (reply === undefined)
    throw new Error(`the adapter probe failed (${run.error?.message ?? `exit ${run.status ?? run.signal}`})`);
  if (reply?.error !== undefined) throw new Error(`the adapter probe failed (${reply.error})`);
  return reply;
}

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
  const addon = dawnAddon();
  const noAdapter = 'Dawn found no WebGPU adapter (no Vulkan loader or driver?)';
  const refuse = (detail: string) =>
    new Error(`only a software adapter: ${detail} (set the backend to webgpu to use it anyway)`);
  if (!allowSoftware) {
    const probed = probeAdapter(addon);
    if (!probed) throw new Error(noAdapter);
    if (isSoftware(probed.info, probed.fallback)) throw refuse(describe(probed.info));
  }
  const dawn = require(addon) as DawnModule;
  // tfjs-backend-webgpu reads GPUBufferUsage, GPUMapMode... as globals and checks navigator.gpu.
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in g)) g[k] = v;
  const gpu = dawn.create([]);
  // Dawn discovers the Vulkan devices, and prints its notes on their limits, inside this call.
  const { value: requested, notes: dawnNotes } = withoutDawnLimitNotes(() =>
    gpu.requestAdapter({ powerPreference: 'high-performance' }),
  );
  const adapter = await requested;
  if (!adapter) throw new Error(noAdapter);
  const info = adapter.info;
  const software = isSoftware(info, info.isFallbackAdapter ?? adapter.isFallbackAdapter);
  const detail = describe(info);
  if (software && !allowSoftware) throw refuse(detail);
  const requiredLimits: Record<string, number> = {};
  for (const k of raisedLimits) requiredLimits[k] = adapter.limits[k];
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  if (!g.navigator) g.navigator = {};
  (g.navigator as Record<string, unknown>).gpu ??= gpu;
  // Required only now: on import the package registers its own factory when navigator.gpu exists.
  const { WebGPUBackend } =
    require('@tensorflow/tfjs-backend-webgpu') as typeof import('@tensorflow/tfjs-backend-webgpu');
  const backend = new WebGPUBackend(device as never, info as never);
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => backend);
  const started: WebGpuState = {
    device,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    detail,
    software,
    ...(dawnNotes.length ? { dawnNotes } : {}),
  };
  device.lost.then((lost) => {
    started.lostReason = lost.message || lost.reason || 'unknown reason';
  });
  state = started;
  return started;
}
