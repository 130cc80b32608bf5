/**
 * The command lines that start the torch engine: one process for one rank, torchrun for several
 * (on one node, or on every node of a multi-node run), the same as a shell line to copy and as a
 * SLURM batch script. Pure functions: engine.ts spawns what they build.
 *
 * torchrun's options are spelled with underscores: torch 1.13 knows no other spelling, 2.x both.
 */
import type { DevicesSpec, TrainConfig } from '../train/trainConfig';

export interface EngineCommand {
  /** argv[0] is the interpreter. */
  argv: string[];
  /** Variables to set beside the inherited environment (CUDA_VISIBLE_DEVICES for a device list). */
  env: Record<string, string>;
  ranksPerNode: number;
  nodes: number;
}

/** Ranks on this node, and the CUDA devices they are limited to (a list in the config). */
export function ranksFor(devices: DevicesSpec, cudaDeviceCount: number): { ranks: number; visibleDevices?: string } {
  if (devices === 'auto') return { ranks: Math.max(1, cudaDeviceCount) };
  if (typeof devices === 'number') return { ranks: devices };
  return { ranks: devices.length, visibleDevices: devices.join(',') };
}

export interface LaunchOptions {
  python: string;
  /** CUDA devices the probe found on this machine; 0 without CUDA. */
  cudaDeviceCount: number;
  /**
   * For one node: the port of a rendezvous on localhost, chosen free by the caller. Without it the
   * command says --standalone, whose port is fixed at 29400 on torch 1.13, so two runs at once
   * would meet on it.
   */
  localRendezvousPort?: number;
}

/** torchrun's arguments after the interpreter; `where` says how the nodes meet. */
function torchrunArgs(where: string[], ranksPerNode: string): string[] {
  // 9:1 redirects nothing; it keeps torch 1.13 under Python 3.11 from misparsing the defaults (python/README.md).
  return [
    '-m',
    'torch.distributed.run',
    ...where,
    '--nproc_per_node',
    ranksPerNode,
    '--redirects',
    '9:1',
    '--tee',
    '9:1',
    '-m',
    'embedding_lens',
  ];
}

const c10d = (nodes: string, endpoint: string, id: string): string[] => [
  '--nnodes',
  nodes,
  '--rdzv_backend',
  'c10d',
  '--rdzv_endpoint',
  endpoint,
  '--rdzv_id',
  id,
];

/**
 * `python -m embedding_lens ARGS` on the ranks of `devices` and `nodes`. One rank on one node runs
 * without torchrun: it starts faster, and is rank 0 of 1 (python/README.md).
 */
export function engineCommand(
  args: string[],
  devices: DevicesSpec,
  nodes: TrainConfig['nodes'],
  runName: string,
  opts: LaunchOptions,
): EngineCommand {
  const { ranks, visibleDevices } = ranksFor(devices, opts.cudaDeviceCount);
  const env: Record<string, string> = visibleDevices === undefined ? {} : { CUDA_VISIBLE_DEVICES: visibleDevices };
  let launcher: string[];
  if (nodes.count > 1) launcher = torchrunArgs(c10d(String(nodes.count), nodes.rendezvous!, runName), String(ranks));
  else if (ranks > 1)
    launcher = torchrunArgs(
      opts.localRendezvousPort === undefined
        ? ['--standalone']
        : c10d('1', `127.0.0.1:${opts.localRendezvousPort}`, runName),
      String(ranks),
    );
  else launcher = ['-m', 'embedding_lens'];
  return { argv: [opts.python, ...launcher, ...args], env, ranksPerNode: ranks, nodes: nodes.count };
}

/** The engine's arguments for a training run (python/README.md). */
function trainArgs(configFile: string, overrides: Record<string, unknown> = {}): string[] {
  return [
    'train',
    configFile,
    ...(Object.keys(overrides).length > 0 ? ['--overrides', JSON.stringify(overrides)] : []),
  ];
}

export function trainCommand(
  config: TrainConfig,
  configFile: string,
  overrides: Record<string, unknown>,
  opts: LaunchOptions,
): EngineCommand {
  return engineCommand(trainArgs(configFile, overrides), config.devices, config.nodes, config.name, opts);
}

/** POSIX shell quoting: bare when nothing in it is special to the shell. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The line to paste into a terminal on each node (the same on every node: the c10d rendezvous
 * numbers them), with the variables the ranks need.
 */
export function launchCommandLine(command: EngineCommand, packageDir: string): string {
  const vars = { PYTHONPATH: packageDir, ...command.env };
  return [...Object.entries(vars).map(([k, v]) => `${k}=${shellQuote(v)}`), ...command.argv.map(shellQuote)].join(' ');
}

export interface SlurmOptions {
  python: string;
  packageDir: string;
  /** GPUs a node of the cluster has when "devices" is "auto": the login node that writes the script usually has none. */
  gpusPerNode?: number;
  /** The rendezvous port when the config names none. */
  defaultPort?: number;
}

/**
 * An sbatch script: one task per node, each a torchrun whose c10d rendezvous listens on the first
 * host of the allocation, so the script needs no host name of its own.
 */
export function slurmScript(
  config: TrainConfig,
  configFile: string,
  overrides: Record<string, unknown>,
  opts: SlurmOptions,
): string {
  const port = config.nodes.rendezvous?.split(':').at(-1) ?? String(opts.defaultPort ?? 29500);
  const auto = config.devices === 'auto';
  const perNode = auto ? Math.max(1, opts.gpusPerNode ?? 1) : ranksFor(config.devices, 0).ranks;
  // Under SLURM the allocation names the GPUs, so a device list only sets how many.
  const ranks = auto ? `"\${SLURM_GPUS_ON_NODE:-${perNode}}"` : String(perNode);
  // Left for the shell to expand: SLURM's variables and the head node found below.
  const launcher = [
    shellQuote(opts.python),
    ...torchrunArgs(c10d('"$SLURM_JOB_NUM_NODES"', `"$head_node:${port}"`, '"$SLURM_JOB_ID"'), ranks),
  ];
  return [
    '#!/bin/bash',
    `#SBATCH --job-name=${config.name}`,
    `#SBATCH --nodes=${config.nodes.count}`,
    '#SBATCH --ntasks-per-node=1',
    `#SBATCH --gpus-per-node=${perNode}`,
    `#SBATCH --cpus-per-task=${Math.max(1, perNode * (config.workers + 1))}`,
    `#SBATCH --output=${config.name}-%j.out`,
    ...(auto
      ? ['# "devices": "auto" runs one rank per GPU of a node: set --gpus-per-node above to what a node has.']
      : []),
    '# Written by Embedding Lens from ' + configFile,
    'set -euo pipefail',
    `export PYTHONPATH=${shellQuote(opts.packageDir)}\${PYTHONPATH:+:$PYTHONPATH}`,
    'head_node=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
    `srun ${[...launcher, ...trainArgs(configFile, overrides).map(shellQuote)].join(' ')}`,
    '',
  ].join('\n');
}
