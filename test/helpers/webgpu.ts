/**
 * Why the webgpu tests cannot run here, or undefined. Only "Dawn creates no adapter at all" (no
 * Vulkan loader or driver) skips: a broken Dawn or tfjs-backend-webgpu must fail the tests.
 */
export async function noWebGpuAdapter(): Promise<string | undefined> {
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  const dawn = require(`webgpu/dist/${process.platform}-${arch}/dawn.node`) as {
    create(o: string[]): { requestAdapter(): Promise<unknown> };
  };
  const adapter = await dawn.create([]).requestAdapter();
  return adapter ? undefined : 'skipped: Dawn creates no WebGPU adapter here (run scripts/install-webgpu-deps.sh for Mesa llvmpipe)';
}
