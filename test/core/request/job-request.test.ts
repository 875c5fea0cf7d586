import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IMAGE_REFERENCE_REGEX, isValidImageReference, MAX_IMAGE_REFERENCE_LENGTH } from '../../../bot/core/request/image-ref.js';
import { JOB_REQUEST_FIELDS, parseJobRequest, type JobRequestContext } from '../../../bot/core/request/job-request.js';
import { textUpTo } from '../../harness/arbitraries.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const ctx: JobRequestContext = { now: NOW, defaults: { instanceTypes: ['t3.micro', 't3.small'], interruptionsTolerated: 3 } };
const DIGEST = 'sha256:' + 'a1b2c3d4'.repeat(8);

function problemsOf(body: unknown, context: JobRequestContext = ctx): string[] {
  const result = parseJobRequest(body, context);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result)}`);
  return result.problems;
}

describe('parseJobRequest: accepted bodies', () => {
  const cases: { name: string; body: unknown; context?: JobRequestContext; spec: object; runAt: string }[] = [
    {
      name: 'only an image: runs now with the defaults',
      body: { docker_image: 'busybox' },
      spec: { image: 'busybox', command: [], env: {}, instanceTypes: ['t3.micro', 't3.small'], interruptionsTolerated: 3 },
      runAt: NOW.toISOString(),
    },
    {
      name: "the original service's fields",
      body: {
        docker_image: 'ghcr.io/acme/etl:1.4',
        datetime: '2026-03-02 09:00:00',
        callback: 'https://hooks.example.com/sched',
        env_vars: { MODE: 'full', _x1: '' },
      },
      spec: {
        image: 'ghcr.io/acme/etl:1.4',
        env: { MODE: 'full', _x1: '' },
        callbackUrl: 'https://hooks.example.com/sched',
      },
      runAt: '2026-03-02T09:00:00.000Z',
    },
    {
      name: 'every new option',
      body: {
        docker_image: 'registry.example.com:5000/team/job@' + DIGEST,
        command: ['python', 'run.py', '--flag=$(x)', ''],
        instance_types: 'c5.large, m7i-flex.2xlarge',
        max_price: 0.05,
        retries: 0,
        timeout: '2h',
        name: '  nightly ETL ✨  ',
        on_rebalance: 'replace',
      },
      spec: {
        command: ['python', 'run.py', '--flag=$(x)', ''],
        instanceTypes: ['c5.large', 'm7i-flex.2xlarge'],
        maxPrice: '0.05',
        interruptionsTolerated: 0,
        timeoutSeconds: 7200,
        name: 'nightly ETL ✨',
        onRebalance: 'replace',
      },
      runAt: NOW.toISOString(),
    },
    {
      name: 'numeric timeout, string price, array of types',
      body: { docker_image: 'busybox', timeout: 600, max_price: '0.125', instance_types: ['t3.nano'], retries: 20 },
      spec: { timeoutSeconds: 600, maxPrice: '0.125', instanceTypes: ['t3.nano'], interruptionsTolerated: 20 },
      runAt: NOW.toISOString(),
    },
    {
      name: 'durations in seconds, minutes and days',
      body: { docker_image: 'busybox', timeout: '90s' },
      spec: { timeoutSeconds: 90 },
      runAt: NOW.toISOString(),
    },
    {
      name: 'a datetime within the grace period counts as now',
      body: { docker_image: 'busybox', datetime: '2026-03-01 11:59:30' },
      spec: { image: 'busybox' },
      runAt: '2026-03-01T11:59:30.000Z',
    },
    {
      name: 'ISO form with T and Z',
      body: { docker_image: 'busybox', datetime: '2026-12-01T09:00:00Z' },
      spec: { image: 'busybox' },
      runAt: '2026-12-01T09:00:00.000Z',
    },
    {
      name: 'a leap day',
      body: { docker_image: 'busybox', datetime: '2028-02-29 00:00:00' },
      spec: { image: 'busybox' },
      runAt: '2028-02-29T00:00:00.000Z',
    },
    {
      name: 'null means absent',
      body: { docker_image: 'busybox', datetime: null, callback: null, env_vars: null, retries: null, name: null },
      spec: { env: {}, interruptionsTolerated: 3 },
      runAt: NOW.toISOString(),
    },
    {
      name: 'the default max price applies',
      body: { docker_image: 'busybox' },
      context: { now: NOW, defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 1, maxPrice: '0.02' } },
      spec: { maxPrice: '0.02', interruptionsTolerated: 1, instanceTypes: ['t3.micro'] },
      runAt: NOW.toISOString(),
    },
    {
      name: 'an env key named __proto__ stays a plain entry',
      body: JSON.parse('{"docker_image":"busybox","env_vars":{"__proto__":"x"}}'),
      spec: { image: 'busybox' },
      runAt: NOW.toISOString(),
    },
  ];

  it.each(cases)('$name', ({ body, context, spec, runAt }) => {
    const result = parseJobRequest(body, context ?? ctx);
    expect(result).toMatchObject({ ok: true, spec, runAt });
  });

  it('omits optional spec fields that were not given', () => {
    const result = parseJobRequest({ docker_image: 'busybox' }, ctx);
    expect(result.ok && Object.keys(result.spec).sort()).toEqual(['command', 'env', 'image', 'instanceTypes', 'interruptionsTolerated']);
  });

  it('keeps a __proto__ env key as an own property without touching the prototype', () => {
    const result = parseJobRequest(JSON.parse('{"docker_image":"busybox","env_vars":{"__proto__":"x"}}'), ctx);
    if (!result.ok) throw new Error('expected ok');
    expect(Object.getPrototypeOf(result.spec.env)).toBe(Object.prototype);
    expect(Object.keys(result.spec.env)).toEqual(['__proto__']);
  });
});

describe('parseJobRequest: refused bodies', () => {
  const cases: { name: string; body: unknown; problems: RegExp[]; context?: JobRequestContext }[] = [
    { name: 'not an object', body: 'busybox', problems: [/^the body must be a JSON object$/] },
    { name: 'an array', body: [{ docker_image: 'busybox' }], problems: [/JSON object/] },
    { name: 'null', body: null, problems: [/JSON object/] },
    { name: 'no image', body: {}, problems: [/^docker_image: required/] },
    { name: 'image not a string', body: { docker_image: 42 }, problems: [/^docker_image: must be a string, got a number/] },
    { name: 'uppercase name', body: { docker_image: 'UPPER/case' }, problems: [/^docker_image: "UPPER\/case" is not a valid/] },
    { name: 'space in image', body: { docker_image: 'a b' }, problems: [/^docker_image: "a b" is not a valid/] },
    { name: 'tag without a name', body: { docker_image: ':tag' }, problems: [/^docker_image:/] },
    { name: 'short digest', body: { docker_image: 'img@sha256:short' }, problems: [/^docker_image:/] },
    { name: '300-character image', body: { docker_image: 'a'.repeat(300) }, problems: [/^docker_image: 300 characters, at most 255$/] },
    { name: 'unknown field', body: { docker_image: 'busybox', image: 'x' }, problems: [/^"image": unknown field \(the fields are docker_image/] },
    {
      name: 'many unknown fields are summarised',
      body: Object.fromEntries([['docker_image', 'busybox'], ...Array.from({ length: 25 }, (_, i) => [`f${i}`, 1])]),
      problems: [...Array.from({ length: 20 }, () => /unknown field/), /^…and 5 more unknown fields$/],
    },
    { name: 'datetime not a string', body: { docker_image: 'busybox', datetime: 1767225600 }, problems: [/^datetime: must be a string/] },
    { name: 'datetime in another format', body: { docker_image: 'busybox', datetime: '01/12/2026 09:00' }, problems: [/^datetime: "01\/12\/2026 09:00" is not "YYYY-MM-DD HH:MM:SS"/] },
    { name: 'impossible date', body: { docker_image: 'busybox', datetime: '2026-02-30 10:00:00' }, problems: [/^datetime: "2026-02-30 10:00:00" is not a real date/] },
    { name: 'not a leap year', body: { docker_image: 'busybox', datetime: '2027-02-29 10:00:00' }, problems: [/not a real date/] },
    { name: 'hour 24', body: { docker_image: 'busybox', datetime: '2026-05-01 24:00:00' }, problems: [/not a real date/] },
    { name: 'second 60', body: { docker_image: 'busybox', datetime: '2026-05-01 10:00:60' }, problems: [/not a real date/] },
    { name: 'past datetime', body: { docker_image: 'busybox', datetime: '2026-03-01 11:58:00' }, problems: [/^datetime: "2026-03-01 11:58:00" is in the past \(now is 2026-03-01 12:00:00 UTC\)$/] },
    { name: 'long past', body: { docker_image: 'busybox', datetime: '2020-01-01 00:00:00' }, problems: [/in the past/] },
    { name: 'callback not a string', body: { docker_image: 'busybox', callback: { url: 'x' } }, problems: [/^callback: must be a URL string/] },
    { name: 'callback not a URL', body: { docker_image: 'busybox', callback: 'not a url' }, problems: [/^callback URL is not a valid absolute URL$/] },
    { name: 'callback with another scheme', body: { docker_image: 'busybox', callback: 'ftp://example.com/x' }, problems: [/^callback URL must use http or https$/] },
    { name: 'env not an object', body: { docker_image: 'busybox', env_vars: ['A=1'] }, problems: [/^env_vars: must be an object/] },
    { name: 'env key with a space', body: { docker_image: 'busybox', env_vars: { 'MY KEY': 'v' } }, problems: [/^env_vars: name "MY KEY" must match/] },
    { name: 'env key starting with a digit', body: { docker_image: 'busybox', env_vars: { '1A': 'v' } }, problems: [/^env_vars: name "1A"/] },
    { name: 'env key with shell', body: { docker_image: 'busybox', env_vars: { 'A;rm -rf /': 'v' } }, problems: [/^env_vars: name "A;rm -rf \/"/] },
    { name: 'empty env key', body: { docker_image: 'busybox', env_vars: { '': 'v' } }, problems: [/^env_vars: name ""/] },
    { name: 'env value a number', body: { docker_image: 'busybox', env_vars: { PORT: 8080 } }, problems: [/^env_vars.PORT: value must be a string, got a number$/] },
    { name: 'env value an object', body: { docker_image: 'busybox', env_vars: { A: { b: 1 } } }, problems: [/^env_vars.A: value must be a string, got an object$/] },
    { name: 'env value with NUL', body: { docker_image: 'busybox', env_vars: { A: 'x\u0000y' } }, problems: [/^env_vars.A: value contains a NUL/] },
    { name: 'env value too long', body: { docker_image: 'busybox', env_vars: { A: 'x'.repeat(4097) } }, problems: [/^env_vars.A: value is 4097 characters, at most 4096$/] },
    {
      name: 'too many env vars',
      body: { docker_image: 'busybox', env_vars: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`V${i}`, ''])) },
      problems: [/^env_vars: 101 variables, at most 100$/],
    },
    {
      name: 'env and argv over the user-data budget',
      body: { docker_image: 'busybox', env_vars: { A: 'x'.repeat(4000) }, command: ['y'.repeat(3000)] },
      problems: [/^env_vars and command: 7001 bytes together, at most 6144/],
    },
    { name: 'command a string', body: { docker_image: 'busybox', command: 'python run.py' }, problems: [/^command: must be an array of strings/] },
    { name: 'command with a number', body: { docker_image: 'busybox', command: ['sleep', 5] }, problems: [/^command\[1\]: must be a string, got a number$/] },
    { name: 'command with NUL', body: { docker_image: 'busybox', command: ['a\u0000'] }, problems: [/^command\[0\]: contains a NUL/] },
    { name: 'instance types a number', body: { docker_image: 'busybox', instance_types: 3 }, problems: [/^instance_types: must be an array/] },
    { name: 'empty instance types', body: { docker_image: 'busybox', instance_types: [] }, problems: [/^instance_types: must name at least one/] },
    { name: 'bad instance type', body: { docker_image: 'busybox', instance_types: ['t3.micro', 'T3.MICRO', 'big'] }, problems: [/^instance_types: "T3.MICRO" is not/, /^instance_types: "big" is not/] },
    { name: 'empty item in a comma string', body: { docker_image: 'busybox', instance_types: 't3.micro,,' }, problems: [/^instance_types: "" is not/, /^instance_types: "" is not/] },
    { name: 'duplicate instance type', body: { docker_image: 'busybox', instance_types: 't3.micro,t3.micro' }, problems: [/^instance_types: "t3.micro" is listed twice$/] },
    {
      name: 'no instance types and no default',
      body: { docker_image: 'busybox' },
      context: { now: NOW, defaults: { instanceTypes: [], interruptionsTolerated: 3 } },
      problems: [/^instance_types: required, no default is configured$/],
    },
    { name: 'zero price', body: { docker_image: 'busybox', max_price: 0 }, problems: [/^max_price: must be greater than 0/] },
    { name: 'negative price', body: { docker_image: 'busybox', max_price: -1 }, problems: [/^max_price: "-1" is not a price/] },
    { name: 'price with words', body: { docker_image: 'busybox', max_price: '$0.05' }, problems: [/^max_price: "\$0.05" is not a price/] },
    { name: 'price too small to express', body: { docker_image: 'busybox', max_price: 1e-9 }, problems: [/^max_price: must be greater than 0/] },
    { name: 'price a boolean', body: { docker_image: 'busybox', max_price: true }, problems: [/^max_price: must be a decimal string or a number/] },
    { name: 'retries negative', body: { docker_image: 'busybox', retries: -1 }, problems: [/^retries: must be an integer from 0 to 20$/] },
    { name: 'retries too many', body: { docker_image: 'busybox', retries: 21 }, problems: [/^retries:/] },
    { name: 'retries fractional', body: { docker_image: 'busybox', retries: 1.5 }, problems: [/^retries:/] },
    { name: 'retries a string', body: { docker_image: 'busybox', retries: '3' }, problems: [/^retries:/] },
    { name: 'timeout zero', body: { docker_image: 'busybox', timeout: 0 }, problems: [/^timeout: "0" is not a positive number/] },
    { name: 'timeout negative', body: { docker_image: 'busybox', timeout: -5 }, problems: [/^timeout:/] },
    { name: 'timeout fractional', body: { docker_image: 'busybox', timeout: 1.5 }, problems: [/^timeout:/] },
    { name: 'timeout unit unknown', body: { docker_image: 'busybox', timeout: '10y' }, problems: [/^timeout: "10y"/] },
    { name: 'timeout beyond 30 days', body: { docker_image: 'busybox', timeout: '31d' }, problems: [/^timeout: at most 30 days$/] },
    { name: 'timeout an array', body: { docker_image: 'busybox', timeout: [60] }, problems: [/^timeout: must be seconds/] },
    { name: 'name too long', body: { docker_image: 'busybox', name: 'n'.repeat(81) }, problems: [/^name: 81 characters, at most 80$/] },
    { name: 'name blank', body: { docker_image: 'busybox', name: '   ' }, problems: [/^name: must not be empty$/] },
    { name: 'name with a newline', body: { docker_image: 'busybox', name: 'a\nb' }, problems: [/^name: must contain only printable/] },
    { name: 'name with a bidi override', body: { docker_image: 'busybox', name: 'abc\u202Edef' }, problems: [/^name: must contain only printable/] },
    { name: 'name a number', body: { docker_image: 'busybox', name: 7 }, problems: [/^name: must be a string/] },
  ];

  it.each(cases)('$name', ({ body, problems, context }) => {
    const found = problemsOf(body, context);
    expect(found).toHaveLength(problems.length);
    problems.forEach((pattern, i) => expect(found[i]).toMatch(pattern));
  });

  it('reports every problem of one body at once', () => {
    const found = problemsOf({
      docker_image: 'UPPER/case',
      datetime: '2026-02-30 10:00:00',
      callback: 'nope',
      env_vars: { 'BAD KEY': 1 },
      command: 'ls',
      instance_types: ['x'],
      max_price: 'free',
      retries: 99,
      timeout: 'soon',
      name: '',
      on_rebalance: 'always',
      extra: true,
    });
    for (const prefix of [
      '"extra"', 'docker_image', 'datetime', 'callback', 'env_vars: name', 'env_vars.', 'command', 'instance_types',
      'max_price', 'retries', 'timeout', 'name', 'on_rebalance: must be "replace" or "warn", got "always"',
    ]) {
      expect(found.some((problem) => problem.startsWith(prefix)), prefix).toBe(true);
    }
    expect(found).toHaveLength(13);
  });

  it('never echoes control characters from the input', () => {
    const found = problemsOf({ docker_image: 'a\nb\u001b[31m', 'x\r\ny': 1 });
    for (const problem of found) {
      expect(problem).not.toMatch(/[\n\r]/);
      expect(problem).not.toContain('\u001b');
    }
  });
});

describe('isValidImageReference', () => {
  const valid = [
    'busybox',
    'library/busybox:latest',
    'ghcr.io/acme/etl:1.4',
    'localhost/img',
    'localhost:5000/foo/bar',
    '127.0.0.1:5000/x:tag',
    'registry:5000/x',
    '[::1]:5000/img',
    'Registry.Example.COM/img',
    'registry.example.com:443/a/b_c/d__e/f-g--h/i.j:v1.2.3-rc_1',
    `busybox@${DIGEST}`,
    `busybox:1.36@${DIGEST}`,
    `img:${'t'.repeat(128)}`,
    'x:_tag',
  ];
  const invalid = [
    '',
    'UPPER/case',
    'Busybox',
    'a b',
    ':tag',
    'img:',
    'img:-bad',
    'img:.bad',
    `img:${'t'.repeat(129)}`,
    'img:tag:again',
    'img@sha256:short',
    `img@sha256:${'A1B2C3D4'.repeat(8)}`,
    `img@md5:${'a'.repeat(32)}`,
    'a'.repeat(300),
    `${'a'.repeat(250)}:tag12`,
    '/img',
    'img/',
    'a//b',
    'a_-b',
    'a..b',
    'a___b',
    '-a',
    'https://ghcr.io/x',
    'ghcr.io:/x',
    'ghcr.io/acme/ETL',
    'img\n',
    '$(reboot)',
  ];
  it.each(valid)('accepts %s', (ref) => expect(isValidImageReference(ref)).toBe(true));
  it.each(invalid.map((ref) => [JSON.stringify(ref.length > 40 ? `${ref.slice(0, 40)}…` : ref), ref]))(
    'refuses %s',
    (_label, ref) => expect(isValidImageReference(ref)).toBe(false),
  );

  // Built piece by piece from the grammar, independently of the regex under test.
  const alnum = fc.stringMatching(/^[a-z0-9]{1,6}$/);
  const separator = fc.constantFrom('.', '_', '__', '-', '--');
  const pathComponent = fc
    .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 3 }))
    .map(([head, rest]) => head + rest.map(([sep, part]) => sep + part).join(''));
  const domainComponent = fc.stringMatching(/^[a-zA-Z0-9]([a-zA-Z0-9-]{0,5}[a-zA-Z0-9])?$/);
  const registry = fc.oneof(
    fc.constant('localhost'),
    fc.array(domainComponent, { minLength: 2, maxLength: 3 }).map((parts) => parts.join('.')),
    fc.tuple(domainComponent, fc.integer({ min: 1, max: 65535 })).map(([host, port]) => `${host}:${port}`),
  );
  const referenceParts = fc.record({
    host: fc.option(registry, { nil: undefined }),
    path: fc.array(pathComponent, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
    tag: fc.option(fc.stringMatching(/^\w[\w.-]{0,20}$/), { nil: undefined }),
    hex: fc.option(fc.stringMatching(/^[a-f0-9]{64}$/), { nil: undefined }),
  });
  type Parts = { host: string | undefined; path: string; tag: string | undefined; hex: string | undefined };
  const join = ({ host, path, tag, hex }: Parts): string =>
    (host === undefined ? '' : `${host}/`) + path + (tag === undefined ? '' : `:${tag}`) + (hex === undefined ? '' : `@sha256:${hex}`);

  it('accepts what the grammar generates', () => {
    fc.assert(fc.property(referenceParts, (parts) => isValidImageReference(join(parts))));
  });

  it('refuses a generated reference with an uppercase letter in its image name', () => {
    fc.assert(
      fc.property(referenceParts, fc.nat(), (parts, at) => {
        // In the last component: a first component with a "." would legitimately read as a registry.
        const last = parts.path.lastIndexOf('/') + 1;
        const letters = [...parts.path.slice(last).matchAll(/[a-z]/g)].map((match) => last + match.index);
        fc.pre(letters.length > 0);
        const index = letters[at % letters.length] ?? 0;
        const path = parts.path.slice(0, index) + parts.path.charAt(index).toUpperCase() + parts.path.slice(index + 1);
        return !isValidImageReference(join({ ...parts, path }));
      }),
    );
  });

  it(`never throws, refuses anything over ${MAX_IMAGE_REFERENCE_LENGTH} characters, and stays fast on any string up to 4× that`, () => {
    // Pieces of the grammar as well as any character, so that long inputs look like references.
    const piece = fc.oneof(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      fc.constantFrom('a', '0', '.', '-', '_', '__', '/', ':', '@', 'sha256:', 'localhost', '[', ']', 'A'),
    );
    fc.assert(
      fc.property(textUpTo(piece, 4 * MAX_IMAGE_REFERENCE_LENGTH), (ref) => {
        const started = performance.now();
        const valid = isValidImageReference(ref);
        if (ref.length > MAX_IMAGE_REFERENCE_LENGTH) expect(valid).toBe(false);
        // Generous on purpose: a backtracking regex takes seconds on such inputs, a linear one microseconds.
        expect(performance.now() - started).toBeLessThan(250);
      }),
      { numRuns: 1000 },
    );
  });

  it(`refuses a well-formed reference longer than ${MAX_IMAGE_REFERENCE_LENGTH} characters (Docker's limit)`, () => {
    const long = `registry.example.com/${'team/'.repeat(50)}app:1`;
    expect(long.length).toBeGreaterThan(MAX_IMAGE_REFERENCE_LENGTH);
    expect(IMAGE_REFERENCE_REGEX.test(long)).toBe(true);
    expect(isValidImageReference(long)).toBe(false);
  });
});

describe('parseJobRequest as a total function', () => {
  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const result = parseJobRequest(JSON.parse(text), ctx);
        return result.ok || result.problems.length > 0;
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on bodies with the known fields holding arbitrary values', () => {
    const field = fc.oneof(fc.jsonValue(), fc.string(), fc.integer(), fc.double());
    const body = fc.record(
      Object.fromEntries(JOB_REQUEST_FIELDS.map((name) => [name, field])) as Record<string, fc.Arbitrary<unknown>>,
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(body, (candidate) => {
        const result = parseJobRequest(candidate, ctx);
        if (result.ok) return isValidImageReference(result.spec.image) && result.spec.instanceTypes.length > 0;
        return result.problems.length > 0;
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseJobRequest: on_demand_after, on_demand_wait, retry_exit_codes', () => {
  const specOf = (body: Record<string, unknown>) => {
    const result = parseJobRequest({ docker_image: 'busybox', ...body }, ctx);
    if (!result.ok) throw new Error(result.problems.join('; '));
    return result.spec;
  };

  it('accepts them and puts them on the spec', () => {
    expect(specOf({ on_demand_after: 2, on_demand_wait: '20s', retry_exit_codes: [137, 143] })).toMatchObject({
      onDemandAfter: 2,
      onDemandWaitSeconds: 20,
      retryExitCodes: [137, 143],
    });
    expect(specOf({ on_demand_wait: '10m' }).onDemandWaitSeconds).toBe(600);
    expect(specOf({ on_demand_wait: 90 }).onDemandWaitSeconds).toBe(90);
    expect(specOf({ on_demand_after: 0, retries: 0 })).toMatchObject({ onDemandAfter: 0, interruptionsTolerated: 0 });
    expect(specOf({ on_demand_after: 5, retries: 5 }).onDemandAfter).toBe(5);
  });

  it('absent, null or an empty list: not on the spec', () => {
    for (const body of [{}, { on_demand_after: null, on_demand_wait: null, retry_exit_codes: null }, { retry_exit_codes: [] }]) {
      const spec = specOf(body);
      expect(spec).not.toHaveProperty('onDemandAfter');
      expect(spec).not.toHaveProperty('onDemandWaitSeconds');
      expect(spec).not.toHaveProperty('retryExitCodes');
    }
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['on_demand_after negative', { on_demand_after: -1 }, /^on_demand_after: must be an integer from 0 to 20 \(interruptions\)$/],
    ['on_demand_after fractional', { on_demand_after: 1.5 }, /^on_demand_after: must be an integer/],
    ['on_demand_after a string', { on_demand_after: '2' }, /^on_demand_after: must be an integer/],
    ['on_demand_after over the cap', { on_demand_after: 21, retries: 20 }, /^on_demand_after: must be an integer from 0 to 20/],
    ['on_demand_after over the default retries', { on_demand_after: 4 }, /^on_demand_after: 4 is more than retries \(3\)/],
    ['on_demand_after over the retries asked', { on_demand_after: 2, retries: 1 }, /^on_demand_after: 2 is more than retries \(1\)/],
    ['on_demand_wait not a duration', { on_demand_wait: 'soon' }, /^on_demand_wait: "soon" is not a duration such as "20s", "10m"/],
    ['on_demand_wait zero', { on_demand_wait: '0s' }, /^on_demand_wait: "0s"/],
    ['on_demand_wait negative', { on_demand_wait: -5 }, /^on_demand_wait: a number is not a duration/],
    ['on_demand_wait an object', { on_demand_wait: {} }, /^on_demand_wait: an object is not a duration/],
    ['on_demand_wait too long', { on_demand_wait: '2h' }, /^on_demand_wait: at most 60m/],
    ['retry_exit_codes not an array', { retry_exit_codes: '137' }, /^retry_exit_codes: must be an array of exit codes/],
    ['retry_exit_codes zero', { retry_exit_codes: [0] }, /^retry_exit_codes: 0 is not an exit code from 1 to 255$/],
    ['retry_exit_codes 256', { retry_exit_codes: [256] }, /^retry_exit_codes: 256 is not an exit code from 1 to 255$/],
    ['retry_exit_codes a string', { retry_exit_codes: ['137'] }, /^retry_exit_codes: "137" is not an exit code/],
    ['retry_exit_codes fractional', { retry_exit_codes: [1.5] }, /^retry_exit_codes: 1.5 is not an exit code/],
    ['retry_exit_codes twice', { retry_exit_codes: [137, 137] }, /^retry_exit_codes: 137 is listed twice$/],
    ['retry_exit_codes too many', { retry_exit_codes: Array.from({ length: 21 }, (_, i) => i + 1) }, /^retry_exit_codes: 21 codes, at most 20$/],
  ])('%s', (_name, body, problem) => {
    const found = problemsOf({ docker_image: 'busybox', ...body });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(problem);
  });

  it('a bad retries is reported alone, not as a second problem of on_demand_after', () => {
    expect(problemsOf({ docker_image: 'busybox', retries: 99, on_demand_after: 5 })).toEqual(['retries: must be an integer from 0 to 20']);
  });
});
