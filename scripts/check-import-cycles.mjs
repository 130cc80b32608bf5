// Import cycles in src/ and webview/src/, type-only imports included: eslint-plugin-import-x's
// no-cycle skips `import type`, but a type cycle ties modules together for a reader just the same.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const roots = ['src', 'webview/src'];
const files = roots.flatMap((root) => listTypeScript(root));
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const cycles = findCycles(graph);
for (const cycle of cycles) console.error(`import cycle: ${cycle.map((f) => relative('.', f)).join(' → ')}`);
if (cycles.length > 0) process.exit(1);
console.log(`no import cycle among ${files.length} files`);

function listTypeScript(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return listTypeScript(path);
    return path.endsWith('.ts') ? [resolve(path)] : [];
  });
}

function importsOf(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022);
  const targets = [];
  for (const statement of source.statements) {
    const specifier =
      (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    const base = resolve(dirname(file), specifier.text);
    const target = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
    if (target) targets.push(target);
  }
  return targets;
}

function findCycles(graph) {
  const state = new Map();
  const stack = [];
  const found = [];
  const visit = (file) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}
