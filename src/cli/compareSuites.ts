/** `compare A.suite.json B.suite.json …`: each checkpoint's suite, and the robustness table. */
import type { SharedCancelToken } from '../core/util/cancel';
import { analyzeSuite } from '../core/classification/analyzeSuite';
import { robustnessPoint } from '../core/classification/robustness';
import { isSuite } from '../core/classification/suiteSpec';
import { InputError } from '../core/util/errors';
import { numberOption, type ParsedArgs } from './args';
import { terminalProgress } from './progress';
import { formatRobustness, formatSuite } from './zeroShotFormat';

/** true when every input is a suite; a mix of suites and retrieval checkpoints has no common table. */
export async function comparesSuites(inputs: string[]): Promise<boolean> {
  const suites = await Promise.all(inputs.map((f) => isSuite(f)));
  if (suites.every(Boolean)) return true;
  if (suites.some(Boolean))
    throw new InputError(
      inputs.join(', '),
      'compare takes either suites (one per checkpoint) or checkpoint files, not both',
    );
  return false;
}

export async function compareSuitesCommand(
  args: ParsedArgs,
  token: SharedCancelToken,
  backend: string,
): Promise<number> {
  const memoryBudgetBytes = numberOption(args, 'memory-mb', 512, 1, 1 << 20) * 1024 * 1024;
  const progress = terminalProgress('compare');
  const start = performance.now();
  const analyzed = [];
  for (const [k, source] of args.positional.entries()) {
    const onProgress = (f: number, m?: string) => progress.report((k + f) / args.positional.length, m);
    analyzed.push(await analyzeSuite(source, { memoryBudgetBytes, token, onProgress }));
  }
  progress.done();
  const seconds = (performance.now() - start) / 1000;
  analyzed.forEach((a, k) => a.warnings.forEach((w) => process.stderr.write(`warning: ${args.positional[k]}: ${w}\n`)));
  const points = analyzed.map((a, k) => robustnessPoint(args.positional[k], a.suite));
  if (args.options.has('json')) {
    process.stdout.write(
      JSON.stringify(
        {
          suites: analyzed.map((a) => a.suite),
          robustness: points,
          backend,
          seconds: Math.round(seconds * 1000) / 1000,
        },
        null,
        1,
      ) + '\n',
    );
  } else {
    const perSuite = analyzed.map((a) => formatSuite(a.suite, seconds / analyzed.length, backend));
    process.stdout.write([...perSuite, formatRobustness(points)].join('\n\n') + '\n');
  }
  return 0;
}
