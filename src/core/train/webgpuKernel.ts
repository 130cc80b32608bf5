/**
 * Running a hand-written WGSL kernel on tfjs-backend-webgpu, as its own programs run: the training
 * step's fused kernels (fusedKernels.ts, fusedRows.ts, fusedTerms.ts) are built on this.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The shape of a tfjs-backend-webgpu program (webgpu_program.ts), which runWebGPUProgram compiles once per key. */
interface Program {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms: string;
  size: boolean;
  getUserCode(): string;
}

interface WebGpuBackend {
  runWebGPUProgram(
    program: Program,
    inputs: tf.TensorInfo[],
    dtype: 'float32',
    uniforms: { type: 'float32' | 'int32'; data: number[] }[],
  ): tf.TensorInfo;
}

/** The fused kernels run where the active backend is webgpu. */
export const useFusedKernels = (): boolean => tf.getBackend() === 'webgpu';

/** The start of these kernels' shader keys, by which the benchmark tells them from tfjs's. */
export const fusedKeyPrefix = 'embeddingLens_';

const workgroupSize = 64;
/** The names a kernel's inputs have in WGSL, in order. */
export const inputNames = ['A', 'B', 'C', 'D', 'E', 'F'];

/** A kernel's attributes as the engine passes them through to kernelFunc (it reads none of them). */
interface FusedAttrs {
  body: string;
  outputShape: number[];
  threads: number;
  /** name: [int] or float. */
  uniforms: Record<string, number | [number]>;
}

/**
 * Each kernel is registered with tfjs under its shader key on first use, its attributes carrying
 * its code, so it runs through the engine as tfjs's own kernels do: tf.profile then sees its outputs
 * (the batch check's footprint model is built from them) and times it by name.
 */
function ensureRegistered(kernelName: string): void {
  if (tf.getKernel(kernelName, 'webgpu')) return;
  tf.registerKernel({
    kernelName,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as FusedAttrs;
      const entries = Object.entries({ threads: [a.threads] as [number], ...a.uniforms });
      const names = Object.keys(inputs);
      const program: Program = {
        variableNames: names,
        outputShape: a.outputShape,
        shaderKey: kernelName,
        dispatchLayout: { x: a.outputShape.map((_, i) => i) },
        dispatch: [Math.ceil(a.threads / workgroupSize), 1, 1],
        workgroupSize: [workgroupSize, 1, 1],
        uniforms: entries.map(([name, v]) => `${name} : ${Array.isArray(v) ? 'i32' : 'f32'},`).join(' '),
        size: false,
        getUserCode: () => `
      fn main(index : i32) {
        if (index >= uniforms.threads) { return; }
        ${a.body}
      }`,
      };
      const data = entries.map(([, v]) =>
        Array.isArray(v) ? { type: 'int32' as const, data: v } : { type: 'float32' as const, data: [v] },
      );
      return (backend as unknown as WebGpuBackend).runWebGPUProgram(
        program,
        names.map((n) => inputs[n] as tf.TensorInfo),
        'float32',
        data,
      );
    },
  });
}

/**
 * Runs `body`, the body of `main(index)`, for index in 0 .. threads - 1 over inputs A, B, ... (flat
 * arrays of their dtype, float32 or int32), writing with setOutputAtIndex into a float32 tensor of
 * `outputShape`. `uniforms` are int32 (name: [value]) or float32 (name: value), read in WGSL as
 * uniforms.NAME. `key` names the shader: kernels whose code differs need different keys. More
 * workgroups than a dimension allows are spread over y and z by tfjs (reshapeDispatch).
 */
export function runKernel(
  key: string,
  body: string,
  inputs: tf.Tensor[],
  outputShape: number[],
  threads: number,
  uniforms: Record<string, number | [number]> = {},
): tf.Tensor {
  const kernelName = `${fusedKeyPrefix}${key}`;
  ensureRegistered(kernelName);
  const named = Object.fromEntries(inputs.map((t, i) => [inputNames[i], t]));
  const attrs: FusedAttrs = { body, outputShape, threads, uniforms };
  return tf.engine().runKernel(kernelName, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
