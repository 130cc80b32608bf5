import { webGpuState } from '../../src/core/backend/webgpuRung';

/**
 * Why the webgpu tests cannot run here, or undefined. Only "Dawn creates no adapter at all" (no
 * Vulkan loader or driver) skips: a broken Dawn or tfjs-backend-webgpu must fail the tests.
 */
export async function noWebGpuAdapter(): Promise<string | undefined> {
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the addon's path depends on the platform
  const dawn = require(`webgpu/dist/${process.platform}-${arch}/dawn.node`) as {
    create(o: string[]): { requestAdapter(): Promise<unknown> };
  };
  const adapter = await dawn.create([]).requestAdapter();
  return adapter
    ? undefined
    : 'skipped: Dawn creates no WebGPU adapter here (run scripts/install-webgpu-deps.sh for Mesa llvmpipe)';
}

/**
 * Runs `f` with the device's error scopes of `filter` answering `answer()` where the real scope
 * reports nothing: the real scopes are still pushed and popped.
 */
export async function withScopeAnswer<T>(
  filter: GPUErrorFilter,
  answer: () => GPUError | null,
  f: () => Promise<T>,
): Promise<T> {
  const device = webGpuState()!.device;
  const [push, pop] = [device.pushErrorScope.bind(device), device.popErrorScope.bind(device)];
  const filters: string[] = [];
  device.pushErrorScope = (scope) => {
    filters.push(scope);
    push(scope);
  };
  device.popErrorScope = async () => {
    const ours = filters.pop() === filter;
    return (await pop()) ?? (ours ? answer() : null);
  };
  try {
    return await f();
  } finally {
    [device.pushErrorScope, device.popErrorScope] = [push, pop];
  }
}
