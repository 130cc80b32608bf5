// Lint: typescript-eslint's recommended rules, import cycles (value imports; scripts/check-import-cycles.mjs also
// counts type-only ones), and the layering of ARCHITECTURE.md as restricted imports.
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import tseslint from 'typescript-eslint';

/** `forbidden`: the folders under src/ (or `vscode`) that files matching `files` must not import. */
const layer = (files, forbidden, why, { allowTypeImports = false, except = '' } = {}) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `^(vscode$|.*/(${forbidden.filter((f) => f !== 'vscode').join('|')})/${except ? `(?!${except}$)` : ''})`,
            message: why,
            allowTypeImports,
          },
        ],
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'out/',
      'out-*/',
      'packages/',
      '.tools/',
      '.gpu/',
      '.gl/',
      'python/',
      'sample-workspace/',
      'test-results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: ['tsconfig.test.json', 'webview/tsconfig.json'],
          noWarnOnMultipleProjects: true,
        }),
      ],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  layer(
    ['src/core/**/*.ts'],
    ['vscode', 'protocol', 'snapshots', 'extension', 'worker', 'cli'],
    'src/core is pure: it imports neither vscode nor the protocol, snapshots, host, worker or CLI (ARCHITECTURE.md).',
  ),
  layer(
    ['src/snapshots/**/*.ts'],
    ['vscode', 'extension', 'worker', 'cli'],
    'src/snapshots builds messages from core results; it runs in the worker and the CLI, never imports the host.',
  ),
  layer(
    ['src/protocol/**/*.ts'],
    ['vscode', 'snapshots', 'extension', 'worker', 'cli'],
    'src/protocol holds message types shared with the webview: no host, worker or CLI code.',
  ),
  layer(
    ['src/worker/**/*.ts', 'src/cli/**/*.ts'],
    ['vscode', 'extension'],
    'The worker and the CLI run without VS Code.',
  ),
  layer(
    ['webview/src/**/*.ts'],
    ['vscode', 'core', 'snapshots', 'extension', 'worker', 'cli'],
    'The webview talks to the host through src/protocol; from core it takes result types and the logit of the robustness axis only.',
    { allowTypeImports: true, except: 'classification/robustness' },
  ),
  {
    // A rung loads its optional or native package only when it is tried, so a missing one fails that
    // rung, not the import of the ladder.
    files: ['src/core/backend/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
);
