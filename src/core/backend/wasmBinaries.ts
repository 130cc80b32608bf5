/**
 * tfjs-backend-wasm with the paths of its WebAssembly binaries set explicitly. In a bundle (esbuild
 * defines EMBEDDING_LENS_BUNDLE) they lie beside it (scripts/build.mjs copies them into dist/);
 * compiled by tsc (the unit tests) they are read from node_modules. A missing binary is an error
 * that names it, so the backend ladder passes on to the cpu rung with that reason.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

declare const EMBEDDING_LENS_BUNDLE: boolean | undefined;

/** The two binaries Node can take: tfjs-backend-wasm turns threads off under Node, so never the threaded one. */
export const wasmBinaries = { plain: 'tfjs-backend-wasm.wasm', simd: 'tfjs-backend-wasm-simd.wasm' } as const;

/** Where the binaries are: beside the bundle, or in the npm package when not bundled. */
export function wasmBinaryDir(): string {
  if (typeof EMBEDDING_LENS_BUNDLE !== 'undefined' && EMBEDDING_LENS_BUNDLE) return __dirname;
  return path.dirname(require.resolve(`@tensorflow/tfjs-backend-wasm/dist/${wasmBinaries.plain}`));
}

/**
 * Requires tfjs-backend-wasm and points it at the binary this runtime will load (SIMD when
 * WebAssembly has it); throws "its binary … is missing" when that file is not in `dir`.
 */
export async function loadWasmBackend(dir: string = wasmBinaryDir()): Promise<void> {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const file = path.join(dir, simd ? wasmBinaries.simd : wasmBinaries.plain);
  if (!existsSync(file)) throw new Error(`its binary ${file} is missing`);
  wasm.setWasmPaths({
    [wasmBinaries.plain]: path.join(dir, wasmBinaries.plain),
    [wasmBinaries.simd]: path.join(dir, wasmBinaries.simd),
    // Required by setWasmPaths, never loaded under Node.
    'tfjs-backend-wasm-threaded-simd.wasm': path.join(dir, wasmBinaries.simd),
  });
}
