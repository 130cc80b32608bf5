import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseConfig } from '../../../../src/core/train/config';
import {
  engineCommand,
  launchCommandLine,
  ranksFor,
  shellQuote,
  slurmScript,
  trainCommand,
} from '../../../../src/core/torch/launch';
import { choosePython, describeTorch, pythonCandidates } from '../../../../src/core/torch/python';

const base = { train: 'a.npy', eval: 'b.npy', engine: 'torch', name: 'coco' };
const config = (extra: Record<string, unknown> = {}) =>
  parseConfig({ ...base, ...extra }, 'x.m2mix.json', { baseDir: '/data', defaultName: 'run' });
const opts = { python: '/env/bin/python', cudaDeviceCount: 0 };

describe('torch launch command', () => {
  it('runs one rank without torchrun', () => {
    const c = trainCommand(config(), '/data/coco.m2mix.json', {}, opts);
    assert.deepEqual(c.argv, ['/env/bin/python', '-m', 'embedding_lens', 'train', '/data/coco.m2mix.json']);
    assert.deepEqual(c.env, {});
    assert.equal(c.ranksPerNode, 1);
  });

  it('passes the overrides as one JSON argument', () => {
    const c = trainCommand(config(), '/data/coco.m2mix.json', { lr: 0.001, train: ['/x y.csv'] }, opts);
    assert.deepEqual(c.argv.slice(-2), ['--overrides', '{"lr":0.001,"train":["/x y.csv"]}']);
  });

  it('takes the ranks from devices: auto is every CUDA device or one process, a list sets CUDA_VISIBLE_DEVICES', () => {
    assert.deepEqual(ranksFor('auto', 0), { ranks: 1 });
    assert.deepEqual(ranksFor('auto', 8), { ranks: 8 });
    assert.deepEqual(ranksFor(3, 0), { ranks: 3 });
    assert.deepEqual(ranksFor([2, 5], 8), { ranks: 2, visibleDevices: '2,5' });
    const listed = trainCommand(config({ devices: [2, 5] }), '/c.json', {}, { ...opts, cudaDeviceCount: 8 });
    assert.deepEqual(listed.env, { CUDA_VISIBLE_DEVICES: '2,5' });
    assert.equal(listed.ranksPerNode, 2);
  });

  it('on one node uses torchrun with a rendezvous on the port given, or --standalone to copy', () => {
    const local = trainCommand(config({ devices: 2 }), '/c.json', {}, { ...opts, localRendezvousPort: 41234 });
    assert.deepEqual(local.argv, [
      '/env/bin/python',
      '-m',
      'torch.distributed.run',
      '--nnodes',
      '1',
      '--rdzv_backend',
      'c10d',
      '--rdzv_endpoint',
      '127.0.0.1:41234',
      '--rdzv_id',
      'coco',
      '--nproc_per_node',
      '2',
      '--redirects',
      '9:1',
      '--tee',
      '9:1',
      '-m',
      'embedding_lens',
      'train',
      '/c.json',
    ]);
    const standalone = trainCommand(config({ devices: 'auto' }), '/c.json', {}, { ...opts, cudaDeviceCount: 4 });
    assert.deepEqual(standalone.argv.slice(0, 6), [
      '/env/bin/python',
      '-m',
      'torch.distributed.run',
      '--standalone',
      '--nproc_per_node',
      '4',
    ]);
  });

  it('on several nodes meets at nodes.rendezvous with the run name as rendezvous id', () => {
    const c = trainCommand(
      config({ devices: 8, nodes: { count: 4, rendezvous: 'gpu01:29500' } }),
      '/c.json',
      {},
      { ...opts, localRendezvousPort: 1 },
    );
    const at = (flag: string) => c.argv[c.argv.indexOf(flag) + 1];
    assert.deepEqual(
      [at('--nnodes'), at('--rdzv_backend'), at('--rdzv_endpoint'), at('--rdzv_id'), at('--nproc_per_node')],
      ['4', 'c10d', 'gpu01:29500', 'coco', '8'],
    );
    assert.equal(c.nodes, 4);
  });

  it('builds embed commands the same way', () => {
    const c = engineCommand(['embed', '--data', '/d.csv'], 1, { count: 1 }, 'embed', opts);
    assert.deepEqual(c.argv, ['/env/bin/python', '-m', 'embedding_lens', 'embed', '--data', '/d.csv']);
  });

  it('quotes for a POSIX shell, which reads the words back unchanged', () => {
    const words = ['plain/path.py', "it's", '{"lr":1e-4,"x":"a b"}', '$HOME', 'a;b', ''];
    const line = words.map(shellQuote).join(' ');
    const echoed = execFileSync('bash', ['-c', `printf '%s\\n' ${line}`]).toString();
    assert.deepEqual(echoed.split('\n').slice(0, -1), words);
    assert.equal(shellQuote('plain/path.py'), 'plain/path.py');
    assert.equal(shellQuote(''), "''");
  });

  it('prints a launch command with the variables the ranks need', () => {
    const c = trainCommand(config({ devices: [0, 1] }), '/my runs/c.m2mix.json', {}, { ...opts, cudaDeviceCount: 2 });
    const line = launchCommandLine(c, '/ext/python');
    assert.equal(
      line,
      "PYTHONPATH=/ext/python CUDA_VISIBLE_DEVICES=0,1 /env/bin/python -m torch.distributed.run --standalone --nproc_per_node 2 --redirects 9:1 --tee 9:1 -m embedding_lens train '/my runs/c.m2mix.json'",
    );
  });

  it('writes a SLURM script: one torchrun per node meeting on the first host of the allocation', () => {
    const c = config({ devices: 4, workers: 3, nodes: { count: 2, rendezvous: 'ignored:29555' } });
    const script = slurmScript(
      c,
      '/home/u/coco.m2mix.json',
      { lr: 0.01 },
      { python: '/env/bin/python', packageDir: '/ext/python' },
    );
    assert.match(script, /^#!\/bin\/bash\n/);
    for (const line of [
      '#SBATCH --nodes=2',
      '#SBATCH --ntasks-per-node=1',
      '#SBATCH --gpus-per-node=4',
      '#SBATCH --cpus-per-task=16',
      '#SBATCH --job-name=coco',
    ])
      assert.ok(script.includes(line + '\n'), line);
    assert.match(script, /head_node=\$\(scontrol show hostnames "\$SLURM_JOB_NODELIST" \| head -n 1\)/);
    assert.match(script, /export PYTHONPATH=\/ext\/python\$\{PYTHONPATH:\+:\$PYTHONPATH\}/);
    assert.match(
      script,
      /srun \/env\/bin\/python -m torch\.distributed\.run --nnodes "\$SLURM_JOB_NUM_NODES" --rdzv_backend c10d --rdzv_endpoint "\$head_node:29555" --rdzv_id "\$SLURM_JOB_ID" --nproc_per_node 4 --redirects 9:1 --tee 9:1 -m embedding_lens train \/home\/u\/coco\.m2mix\.json --overrides '\{"lr":0\.01\}'\n/,
    );
    execFileSync('bash', ['-n'], { input: script });
  });

  it('lets SLURM say how many GPUs a node has when devices is auto', () => {
    const script = slurmScript(
      config({ nodes: { count: 2, rendezvous: 'h:1' } }),
      '/c.json',
      {},
      { python: 'python3', packageDir: '/p', gpusPerNode: 8 },
    );
    assert.ok(script.includes('#SBATCH --gpus-per-node=8\n'));
    assert.ok(script.includes('--nproc_per_node "${SLURM_GPUS_ON_NODE:-8}"'));
  });
});

describe('choosing Python', () => {
  it('takes the most explicit interpreter named, then python3 on PATH', () => {
    const env = { EMBEDDING_LENS_PYTHON: '/env/python' };
    assert.deepEqual(choosePython({ flag: '/flag/python', setting: '/setting/python', env }), {
      python: '/flag/python',
      source: '--python',
    });
    assert.deepEqual(choosePython({ setting: ' /setting/python ', pythonExtension: '/ext/python', env }), {
      python: '/setting/python',
      source: 'embeddingLens.pythonPath',
    });
    assert.deepEqual(choosePython({ setting: '', pythonExtension: '/ext/python', env }), {
      python: '/ext/python',
      source: 'Python extension',
    });
    assert.deepEqual(choosePython({ env }), { python: '/env/python', source: 'EMBEDDING_LENS_PYTHON' });
    assert.deepEqual(pythonCandidates({ env: {} }), [{ python: 'python3', source: 'PATH' }]);
  });

  it('describes the devices in one line', () => {
    const info = {
      ok: true as const,
      python: '3.11.2',
      executable: '/usr/bin/python3',
      torch: '2.4.0',
      cuda: [{ index: 0, name: 'NVIDIA H200', memory_bytes: 150e9 }],
      mps: false,
      cpu_threads: 16,
      gloo: true,
      nccl: true,
      open_clip: null,
      transformers: '4.46.3',
    };
    assert.equal(
      describeTorch({ ok: true, info }),
      'torch 2.4.0 on Python 3.11.2 (/usr/bin/python3): cuda:0 NVIDIA H200 (140 GiB), cpu (16 threads)',
    );
    assert.equal(
      describeTorch({
        ok: false,
        python: 'python3',
        reason: 'no python3 on PATH: set embeddingLens.pythonPath or --python',
      }),
      'torch engine unavailable: no python3 on PATH: set embeddingLens.pythonPath or --python',
    );
  });
});
