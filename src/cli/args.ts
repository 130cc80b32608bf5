/** A small argv parser: `--key value`, `--key=value` and boolean `--flag`, plus positionals. */
export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], booleans: string[]): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = a.slice(2, eq < 0 ? undefined : eq);
    if (eq >= 0) options.set(key, a.slice(eq + 1));
    else if (booleans.includes(key)) options.set(key, true);
    // `--lr --backend wasm` would otherwise take '--backend' as the rate and blame the leftover 'wasm'.
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) options.set(key, argv[++i]);
    else throw new UsageError(`option --${key} needs a value`);
  }
  return { positional, options };
}

export function numberOption(args: ParsedArgs, key: string, fallback: number, min = -Infinity, max = Infinity): number {
  const v = args.options.get(key);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${key} must be a number in [${min}, ${max}], got ${String(v)}`);
  return n;
}

export function rejectUnknown(args: ParsedArgs, known: string[]): void {
  for (const k of args.options.keys()) if (!known.includes(k)) throw new UsageError(`unknown option --${k}`);
}
