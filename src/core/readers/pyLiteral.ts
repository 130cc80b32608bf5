/**
 * A parser for the Python literals numpy writes as .npy headers (dicts, tuples, lists, strings,
 * integers, True/False/None). Headers come from untrusted files, so they are parsed, never evaluated.
 */
export type PyValue = string | number | boolean | null | PyValue[] | Map<string, PyValue>;

/** Nesting deeper than any real header only serves to exhaust the stack. */
const maxDepth = 16;

export class PyLiteralError extends Error {}

export function parsePyLiteral(text: string): PyValue {
  let pos = 0;

  const fail = (what: string): never => {
    throw new PyLiteralError(`${what} at character ${pos}`);
  };
  const skipSpace = (): void => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const peek = (): string => {
    skipSpace();
    return text[pos] ?? '';
  };

  const parseString = (): string => {
    const quote = text[pos++];
    let out = '';
    while (pos < text.length && text[pos] !== quote) {
      let ch = text[pos++];
      if (ch === '\\') {
        const esc = text[pos++] ?? fail('unterminated escape');
        ch = ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[esc] ?? esc;
      }
      out += ch;
    }
    if (pos >= text.length) fail('unterminated string');
    pos++;
    return out;
  };

  const parseWord = (): PyValue => {
    const m = /^(-?\d+)L?|^(True|False|None)\b/.exec(text.slice(pos, pos + 32));
    if (!m) return fail('unexpected character');
    pos += m[0].length;
    if (m[2]) return m[2] === 'True' ? true : m[2] === 'False' ? false : null;
    const n = Number(m[1]);
    if (!Number.isSafeInteger(n)) fail('integer too large');
    return n;
  };

  /** Items up to `close`, with Python's optional trailing comma. */
  const parseItems = (close: string, item: () => void): void => {
    pos++;
    while (peek() !== close) {
      item();
      if (peek() === ',') pos++;
      else if (peek() !== close) fail(`expected ',' or '${close}'`);
    }
    pos++;
  };

  const parseValue = (depth: number): PyValue => {
    if (depth > maxDepth) fail('nesting too deep');
    const ch = peek();
    if (ch === "'" || ch === '"') return parseString();
    if (ch === '(' || ch === '[') {
      const items: PyValue[] = [];
      parseItems(ch === '(' ? ')' : ']', () => items.push(parseValue(depth + 1)));
      return items;
    }
    if (ch === '{') {
      const dict = new Map<string, PyValue>();
      parseItems('}', () => {
        const key = parseValue(depth + 1);
        if (typeof key !== 'string') fail('dict key is not a string');
        if (peek() !== ':') fail("expected ':'");
        pos++;
        dict.set(key as string, parseValue(depth + 1));
      });
      return dict;
    }
    return parseWord();
  };

  const value = parseValue(0);
  if (peek() !== '') fail('trailing characters');
  return value;
}
