/**
 * Which platform a packaged build is for. `npm run package` (scripts/package.mjs) writes
 * dist/target.json beside the bundles, {"target": "linux-x64", "version": "0.1.0"} or
 * {"target": "universal", …}; a checkout has none and loads Dawn from node_modules.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** VS Code's targets that get a package with Dawn, and the folder of Dawn's npm package each takes. */
export const dawnTargets: Readonly<Record<string, string>> = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'darwin-x64': 'darwin-universal',
  'darwin-arm64': 'darwin-universal',
  'win32-x64': 'win32-x64',
  'win32-arm64': 'win32-arm64',
};

export interface PackageTarget {
  target: string;
  version: string;
}

export const hostTarget = (platform: string = process.platform, arch: string = process.arch): string =>
  `${platform}-${arch}`;

/** The target.json beside the bundle (`dir`: the bundle's folder), or undefined in a checkout. */
export function packageTarget(dir: string = __dirname): PackageTarget | undefined {
  const file = path.join(dir, 'target.json');
  if (!existsSync(file)) return undefined;
  try {
    const t = JSON.parse(readFileSync(file, 'utf8')) as Partial<PackageTarget>;
    return typeof t.target === 'string' ? { target: t.target, version: String(t.version ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/** The file name `npm run package` gives the package for `target`. */
export const packageFileName = (target: string, version: string): string =>
  `embedding-lens-${target}${version ? `-${version}` : ''}.vsix`;

/** The package a machine of `host` should install: its platform's, or the universal one where Dawn has no build. */
export const packageFor = (host: string, version: string): string =>
  packageFileName(host in dawnTargets ? host : 'universal', version);

/** One line when the package was built for another platform than this one; undefined when it fits. */
export function targetMismatch(
  pkg: PackageTarget | undefined = packageTarget(),
  host: string = hostTarget(),
): string | undefined {
  if (!pkg || pkg.target === 'universal' || pkg.target === host) return undefined;
  return `This Embedding Lens package is built for ${pkg.target}, and this machine is ${host}: install ${packageFor(host, pkg.version)} (the GPU backend needs it; the rest runs on the CPU meanwhile).`;
}

/**
 * Why the webgpu rung finds no Dawn build in the package `pkg` on `host`, in one line; undefined in a
 * checkout (no target.json), where node_modules/webgpu decides.
 */
export function dawnNotPackaged(pkg: PackageTarget | undefined, host: string = hostTarget()): string | undefined {
  if (!pkg) return undefined;
  if (!(host in dawnTargets)) return `Dawn has no build for ${host}`;
  if (pkg.target === 'universal')
    return `not in this package (the universal package carries no Dawn; install ${packageFor(host, pkg.version)} for the webgpu backend)`;
  if (pkg.target !== host)
    return `not in this package (built for ${pkg.target}; install ${packageFor(host, pkg.version)})`;
  return `not in this package (its Dawn build for ${host} is missing: reinstall ${packageFor(host, pkg.version)})`;
}
