// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const processEnvOutsideConfig = {
  selector: "MemberExpression[object.name='process'][property.name='env']",
  message: 'read process.env only in bot/main.ts and bot/config.ts',
};

/** The npm libraries bot/core may import: pure computation that reads no clock when handed one. */
const coreLibraries = ['chrono-node', 'croner', 'shell-quote'];

/** Names joined as regex alternatives, each matched literally. */
const anyOf = (/** @type {readonly string[]} */ names) => names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');

/**
 * The imports bot/core refuses in a file `depth` folders below it (0: `bot/core/job.ts`,
 * 1: `bot/core/parsing/when.ts`). Patterns match the specifier as written, so "leaves bot/core"
 * is counted in `../`: from `parsing/`, `../job.js` stays and `../../adapters/x.js` leaves. A
 * relative specifier must be canonical (`./x` or up to `depth` times `../`, then no `.` or `..`
 * segment) so that `./../../x` cannot slip past the count. The one way out is `bot/ports.ts`, by
 * type only: the port interfaces are core's contract with the adapters and leave nothing at run
 * time. The patterns do not overlap: each forbidden import is reported once.
 * @param {number} depth
 */
function coreImportPatterns(depth) {
  const staysInCore = `(?:\\./${depth > 0 ? `|(?:\\.\\./){1,${depth}}` : ''})(?!(?:.*/)?\\.\\.?(?:/|$))`;
  const ports = `(?:\\.\\./){${depth + 1}}ports\\.js$`;
  const builtins = `node:|(?:${anyOf(builtinModules)})$`;
  return [
    { regex: `^(?:${builtins})`, caseSensitive: true, message: 'bot/core is pure: Node built-ins do I/O; reach the world through a port in bot/ports.ts' },
    {
      regex: `^(?!\\.|${builtins}|(?:${anyOf(coreLibraries)})(?:/|$))`,
      caseSensitive: true,
      message: `bot/core takes only ${coreLibraries.join(', ')} from npm: SDKs, Slack, servers and loggers belong in adapters and surfaces`,
    },
    { regex: `^(?!${staysInCore}|${ports})\\.`, caseSensitive: true, message: 'bot/core imports only bot/core: a relative import that leaves it reaches an adapter or a surface' },
    { regex: `^${ports}`, caseSensitive: true, allowTypeImports: true, message: 'bot/core imports bot/ports.ts by type only (`import type`)' },
  ];
}

/** bot/core's folders by depth; a file below the deepest is held to its rules, stricter than it needs. */
const coreDepths = ['bot/core/*', 'bot/core/*/*', 'bot/core/*/*/**'];

const timeIsAnArgument = 'core takes time as an argument';

export default tseslint.config(
  { ignores: ['node_modules/**', '.sched/**', 'dist/**', 'coverage/**', 'reports/**', '.stryker-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', processEnvOutsideConfig],
    },
  },
  {
    files: ['bot/main.ts', 'bot/config.ts', 'test/**', 'bench/**', 'infra/**', '*.ts', '*.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['bot/core/**'],
    rules: {
      // This block's options replace the root block's for these files, so they repeat its selector.
      'no-restricted-syntax': [
        'error',
        processEnvOutsideConfig,
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: `${timeIsAnArgument}: new Date() reads the clock` },
        { selector: "CallExpression[callee.name='Date']", message: `${timeIsAnArgument}: Date() reads the clock whatever its arguments` },
        { selector: 'ImportExpression', message: 'bot/core imports statically, where no-restricted-imports sees the specifier' },
      ],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: timeIsAnArgument }],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'bot/core is pure: configuration comes in as arguments' },
        ...['setTimeout', 'setInterval', 'setImmediate'].map((name) => ({ name, message: 'bot/core does not wait: the engine owns timers' })),
        { name: 'fetch', message: 'bot/core is pure: reach the network through a port in bot/ports.ts' },
        { name: 'performance', message: `${timeIsAnArgument}: performance reads the clock` },
        { name: 'globalThis', message: 'bot/core names its globals: globalThis reaches around these rules' },
      ],
    },
  },
  ...coreDepths.map((files, depth) => ({
    files: [files],
    rules: { 'no-restricted-imports': ['error', { patterns: coreImportPatterns(depth) }] },
  })),
);
