/**
 * `embedding-lens embed`: image and caption embeddings of a CSV/TSV dataset from a model on the
 * torch engine, into a safetensors file that analyze and compare open, so a model can be measured
 * before and after fine-tuning on the same eval set.
 */
import * as path from 'node:path';
import type { CancelToken } from '../core/util/cancel';
import { InputError } from '../core/util/errors';
import { runTorchEmbedding, type EmbedRequest } from '../core/torch/engine';
import { checkConfigValue, loadConfig, resolveModel } from '../core/train/config';
import type { ModelSpec } from '../core/train/trainConfig';
import { parseArgs, rejectUnknown, UsageError, type ParsedArgs } from './args';
import { terminalProgress } from './progress';
import { devicesFrom, pythonFrom, reportFailure } from './torchOptions';

export const embedUsage = `  embedding-lens embed --model JSON|CONFIG.m2mix.json --data FILE.csv --out FILE.safetensors
                 [--image-column filepath] [--caption-column title] [--batch-size N] [--precision fp32|bf16|amp]
                 [--devices auto|N|0,1] [--python PATH] [--json] [--verbose]
                 image and caption embeddings of a dataset from a model, e.g. --model '{"openClip": "ViT-B-32"}'`;

type Defaults = Pick<EmbedRequest, 'model' | 'imageColumn' | 'captionColumn' | 'precision' | 'devices'> & {
  source: string;
};

/** --model as JSON (paths against the working folder), or a run configuration whose model and columns are taken. */
async function modelFrom(value: string): Promise<Defaults> {
  if (/^\s*[{"]/.test(value)) {
    let model: unknown;
    try {
      model = JSON.parse(value);
    } catch (err) {
      throw new UsageError(`--model is not valid JSON (${(err as Error).message})`);
    }
    checkConfigValue('model', model, '--model');
    return { model: resolveModel(model as ModelSpec, process.cwd()), source: '--model' };
  }
  if (!/\.json$/i.test(value))
    throw new UsageError(
      `--model takes JSON like '{"openClip": "ViT-B-32"}' or a run configuration (.json), got '${value}'`,
    );
  const c = await loadConfig(value);
  return {
    model: c.model,
    imageColumn: c.imageColumn,
    captionColumn: c.captionColumn,
    precision: c.precision,
    devices: c.devices,
    source: value,
  };
}

function stringOption(args: ParsedArgs, key: string): string | undefined {
  const v = args.options.get(key);
  if (v === true) throw new UsageError(`option --${key} needs a value`);
  return v;
}

export async function embedCommand(argv: string[], token: CancelToken): Promise<number> {
  try {
    const args = parseArgs(argv, ['json', 'verbose', 'help']);
    if (args.options.has('help')) {
      process.stdout.write(`usage:\n${embedUsage}\n`);
      return 0;
    }
    rejectUnknown(args, [
      'model',
      'data',
      'out',
      'image-column',
      'caption-column',
      'batch-size',
      'precision',
      'devices',
      'python',
      'json',
      'verbose',
      'help',
    ]);
    if (args.positional.length > 0)
      throw new UsageError(`embed takes no positional argument, got '${args.positional[0]}'`);
    const [modelValue, data, out] = ['model', 'data', 'out'].map((k) => stringOption(args, k));
    if (modelValue === undefined || data === undefined || out === undefined)
      throw new UsageError('embed needs --model, --data and --out');
    const { source, ...defaults } = await modelFrom(modelValue);
    if (defaults.model === 'heads')
      throw new InputError(
        source,
        `"model" is "heads", which has no encoders to embed with: name { "openClip": … }, { "huggingFace": … } or { "factory": … }`,
      );
    if (!/\.(csv|tsv)$/i.test(data))
      throw new InputError(data, 'embed reads a CSV/TSV file of image paths and captions');
    if (!/\.safetensors$/i.test(out)) throw new InputError(out, 'embed writes a .safetensors file');
    const batch = stringOption(args, 'batch-size');
    if (batch !== undefined && !/^[1-9]\d*$/.test(batch))
      throw new UsageError(`--batch-size must be a positive integer, got ${batch}`);
    const precision = stringOption(args, 'precision');
    if (precision !== undefined) checkConfigValue('precision', precision, '--precision');
    const request: EmbedRequest = {
      ...defaults,
      data: path.resolve(data),
      out: path.resolve(out),
      imageColumn: stringOption(args, 'image-column') ?? defaults.imageColumn,
      captionColumn: stringOption(args, 'caption-column') ?? defaults.captionColumn,
      batchSize: batch === undefined ? undefined : Number(batch),
      precision: (precision as EmbedRequest['precision']) ?? defaults.precision,
      devices: devicesFrom(args) ?? defaults.devices,
    };
    const progress = terminalProgress('embed');
    const verbose = args.options.has('verbose');
    const result = await runTorchEmbedding(request, {
      python: pythonFrom(args),
      token,
      onEvent(e) {
        if (e.type === 'progress') progress.report(e.done / Math.max(1, e.total), `${e.done}/${e.total}`);
        else {
          progress.done();
          process.stderr.write(`embedding-lens: ${e.message}\n`);
        }
      },
      onLog(line) {
        if (!verbose) return;
        progress.done();
        process.stderr.write(line + '\n');
      },
    }).finally(() => progress.done());
    if (args.options.has('json')) process.stdout.write(JSON.stringify({ type: 'embedded', ...result }) + '\n');
    else process.stdout.write(`wrote ${result.file}: ${result.images} images, ${result.texts} captions\n`);
    return 0;
  } catch (err) {
    const code = reportFailure(err);
    if (code === undefined) throw err;
    return code;
  }
}
