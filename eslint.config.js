// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', '.sched/**', 'dist/**', 'coverage/**', 'reports/**', '.stryker-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'read process.env only in bot/main.ts and bot/config.ts' },
      ],
    },
  },
  {
    files: ['bot/main.ts', 'bot/config.ts', 'test/**', 'bench/**', 'infra/**', '*.ts', '*.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['bot/core/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['@aws-sdk/*', 'node:*', 'fastify', 'pino', 'node-schedule', 'dynalite', '../adapters/*', '../engine/*', '../http/*'], message: 'bot/core is pure: no I/O imports' },
      ] }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'core takes time as an argument' }],
    },
  },
);
