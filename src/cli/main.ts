/**
 * embedding-lens: the same core as the extension, for scripts, CI and SSH sessions.
 * Exit codes: 0 success, 2 bad input or usage (one line on stderr), 1 internal error, 130 interrupted.
 */
import { analyzeInput } from '../core/classification/analyzeInput';
import { initBackend, ladder, probeGflops, type BackendName } from '../core/backend/backendLadder';
import { SharedCancelToken } from '../core/util/cancel';
import { CancelledError, InputError, oneLine } from '../core/util/errors';
import { describeFile } from '../core/readers';
import { isStringType } from '../core/readers/dtypes';
import { nameList, namesNoArray } from '../core/readers/selectArrays';
import { writeSampleWorkspace } from '../core/synthetic/sampleWorkspace';
import { describeTorch, probeTorch } from '../core/torch/python';
import { compareCommand, compareUsage } from './compare';
import { embedCommand, embedUsage } from './embed';
import { numberOption, parseArgs, rejectUnknown, UsageError, type ParsedArgs } from './args';
import { printClassOutcome } from './analyzeClasses';
import { formatResult } from './format';
import { formatZeroShot } from './zeroShotFormat';
import { terminalProgress } from './progress';
import { pythonFrom } from './torchOptions';
import { analyzeOnTorch, engineFrom } from './analyzeTorch';
import { chooseAnalysisEngine } from '../core/torch/analysis';
import { holdsOnlyClasses } from '../core/classification/analyzeInput';
import { trainCommand } from './train';

const usage = `usage:
  embedding-lens analyze FILE [FILE2] | SUITE.suite.json [--json] [--uniformity-t 2] [--ks 1,5,10] [--ece-tau 0.01]
                 [--memory-mb 512] [--image-key K] [--text-key K] [--backend auto|${ladder.join('|')}]
                 [--sample PAIRS]   estimate uniformity and ECE from PAIRS random pairs (default above 50,000 pairs)
                 [--engine auto|tfjs|torch] [--python PATH] [--tf32]   torch: exact on every local GPU or the CPU
                 (auto: torch for .npy/.npz/.safetensors inputs of 200 MB or more when PATH has torch; README)
${compareUsage}
  embedding-lens train CONFIG.m2mix.json | --train FILE --eval FILE [options]   (see 'train --help')
${embedUsage}
  embedding-lens sample DIR      write the embedded CLIP-like sample workspace into DIR
  embedding-lens backend [--python PATH]   the compute backend and its measured GFLOP/s, and the torch engine`;

const token = new SharedCancelToken();

async function backendFrom(args: ParsedArgs): Promise<BackendName> {
  const want = (args.options.get('backend') ?? 'auto') as string;
  if (want !== 'auto' && !ladder.includes(want as BackendName))
    throw new UsageError(`--backend must be auto or one of ${ladder.join(', ')}`);
  return (await initBackend(want as BackendName | 'auto')).name;
}

function ks(args: ParsedArgs): number[] {
  const v = args.options.get('ks');
  if (v === undefined) return [1, 5, 10];
  const list = String(v).split(',').map(Number);
  if (list.some((k) => !Number.isInteger(k) || k < 1))
    throw new UsageError(`--ks takes positive integers like 1,5,10, got ${String(v)}`);
  return list;
}

function stringList(args: ParsedArgs, key: string): string[] {
  const v = args.options.get(key);
  return typeof v === 'string' ? v.split(',') : [];
}

/** Refuses a key that names no numeric array of the files, from their headers, before anything is read. */
async function checkKeys(files: string[], keys: Record<'image-key' | 'text-key', string[]>): Promise<void> {
  if (!keys['image-key'].length && !keys['text-key'].length) return;
  const arrays = (await Promise.all(files.map((file) => describeFile(file, { token })))).flatMap((c) => c.arrays);
  for (const [flag, list] of Object.entries(keys)) {
    if (!namesNoArray(arrays, list)) continue;
    const held = arrays.filter((a) => !isStringType(a.dtype)).map((a) => a.name);
    throw new InputError(
      files.join(' + '),
      `--${flag} '${list.join(',')}' names no numeric array (found ${held.length ? nameList(held) : 'none'})`,
    );
  }
}

/** numberOption takes fractions, which the core then refuses in a message that names no option. */
function samplePairs(args: ParsedArgs): number | undefined {
  const v = args.options.get('sample');
  if (v === undefined) return undefined;
  const n = Number(v);
  const max = 2 ** 31 - 1;
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 2 || n > max)
    throw new UsageError(`--sample must be an integer in [2, ${max}], got ${String(v)}`);
  return n;
}

async function analyzeCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['json', 'tf32']);
  rejectUnknown(args, [
    'json',
    'uniformity-t',
    'ks',
    'ece-tau',
    'memory-mb',
    'image-key',
    'text-key',
    'backend',
    'sample',
    'engine',
    'python',
    'tf32',
  ]);
  if (args.positional.length < 1 || args.positional.length > 2)
    throw new UsageError('analyze takes one checkpoint file or folder, or an image file and a text file');
  const keys = { 'image-key': stringList(args, 'image-key'), 'text-key': stringList(args, 'text-key') };
  const python = pythonFrom(args);
  const wanted = engineFrom(args);
  let engine = await chooseAnalysisEngine(wanted, args.positional, python);
  // The torch engine's pass is the one over pairs; a classification set (no texts) stays on tfjs.
  if (
    engine.engine === 'torch' &&
    args.positional.length === 1 &&
    (await holdsOnlyClasses(args.positional[0], keys['text-key'], token))
  )
    engine = {
      engine: 'tfjs',
      note:
        wanted === 'torch'
          ? 'a classification set without texts is analysed on tfjs: the torch engine analyses pairs'
          : undefined,
    };
  if (engine.engine === 'torch') {
    await checkKeys(args.positional, keys);
    const settings = {
      uniformityT: numberOption(args, 'uniformity-t', 2, 1e-6, 1e3),
      ks: ks(args),
      eceTau: numberOption(args, 'ece-tau', 0.01, 1e-6, 1e3),
    };
    return analyzeOnTorch(
      args,
      { ...settings, imageKeys: keys['image-key'], textKeys: keys['text-key'], tf32: args.options.has('tf32') },
      python,
      engine.info,
      token,
    );
  }
  if (engine.note) process.stderr.write(`note: ${engine.note}\n`);
  const backend = await backendFrom(args);
  await checkKeys(args.positional, keys);
  const progress = terminalProgress('analyze');
  const outcome = await analyzeInput(
    args.positional,
    {
      uniformityT: numberOption(args, 'uniformity-t', 2, 1e-6, 1e3),
      ks: ks(args),
      eceTau: numberOption(args, 'ece-tau', 0.01, 1e-6, 1e3),
      memoryBudgetMB: numberOption(args, 'memory-mb', 512, 1, 1 << 20),
      imageKeys: keys['image-key'],
      textKeys: keys['text-key'],
      sampleAbovePairs: 50_000,
      samplePairs: samplePairs(args),
    },
    token,
    progress.report,
  );
  progress.done();
  if (outcome.kind !== 'retrieval')
    return printClassOutcome(outcome, args.positional.join(' + '), args.options.has('json'), backend);
  const a = outcome.analyzed;
  for (const w of a.checkpoint.warnings) process.stderr.write(`warning: ${w}\n`);
  // Which backend ran and how long it took belong with the numbers: the same file runs minutes on wasm, seconds on a GPU.
  if (args.options.has('json'))
    process.stdout.write(
      JSON.stringify({ ...a.result, engine: 'tfjs', backend, seconds: Math.round(a.seconds * 1000) / 1000 }, null, 1) +
        '\n',
    );
  else
    process.stdout.write(
      formatResult(args.positional.join(' + '), a.result, a.seconds, backend) +
        (a.zeroShot ? `\n${formatZeroShot(a.zeroShot)}` : '') +
        '\n',
    );
  return 0;
}

async function sampleCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, []);
  rejectUnknown(args, []);
  if (args.positional.length !== 1) throw new UsageError('sample takes the folder to write');
  for (const f of await writeSampleWorkspace(args.positional[0])) process.stdout.write(f + '\n');
  return 0;
}

async function backendCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, []);
  rejectUnknown(args, ['backend', 'python']);
  const python = pythonFrom(args);
  const name = await backendFrom(args);
  const choice = await initBackend(name);
  const detail = choice.detail ? ` (${choice.detail})` : '';
  process.stdout.write(`${name}${detail}: ${(await probeGflops(1)).toFixed(1)} GFLOP/s (matMul 512x512, 1 s probe)\n`);
  for (const s of choice.skipped) process.stdout.write(`  not used: ${s}\n`);
  // After the GFLOP/s probe, not beside it: importing torch would take the cores it measures.
  process.stdout.write(`${describeTorch(await probeTorch(python))}\n`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'analyze':
      return analyzeCommand(rest);
    case 'train':
      return trainCommand(rest, token);
    case 'embed':
      return embedCommand(rest, token);
    case 'compare':
      return compareCommand(rest, token, backendFrom);
    case 'sample':
      return sampleCommand(rest);
    case 'backend':
      return backendCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(usage + '\n');
      return cmd === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${cmd}'`);
  }
}

// SIGTERM (timeout, a scheduler's stop) cancels like Ctrl-C: the torch engine's ranks run in their own
// process group, which only a cancel that this process handles stops.
process.on('SIGINT', () => token.cancel());
process.on('SIGTERM', () => token.cancel());
main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    if (err instanceof CancelledError) {
      process.stderr.write('embedding-lens: interrupted\n');
      process.exitCode = 130;
    } else if (err instanceof InputError) {
      process.stderr.write(`embedding-lens: ${oneLine(err)}\n`);
      process.exitCode = 2;
    } else if (err instanceof UsageError) {
      process.stderr.write(`embedding-lens: ${err.message} (try --help)\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`embedding-lens: internal error: ${oneLine(err)}\n`);
      process.exitCode = 1;
    }
  },
);
