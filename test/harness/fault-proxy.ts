/**
 * A fault layer for EC2 and DynamoDB: an HTTP proxy on loopback in front of moto that answers the
 * way AWS does when AWS is short of capacity, throttles, fails or drops a connection — none of
 * which moto models. Point the SDK client's `endpoint` (or the bot's `AWS_ENDPOINT_URL`) at
 * `proxy.endpoint` instead of moto's.
 *
 * - Requests are read whole, classified, and forwarded to moto byte for byte with their headers
 *   (Host included): moto routes by the SigV4 credential scope, not by Host, and a signature
 *   computed for the proxy's Host still matches the forwarded request. The service comes from
 *   that same scope (`…/us-west-2/ec2/aws4_request`); the action from the form's `Action=` (EC2)
 *   or `X-Amz-Target: DynamoDB_20120810.<Op>` (DynamoDB).
 * - Rules, set by the test while the code under test runs, are tried in the order they were
 *   added; the first that matches a request answers it, for `times` requests or until cleared:
 *   - `refuseCapacity({ instanceType, subnetId, availabilityZone })`: a pool (type × zone) with no
 *     capacity. `RunInstances` and `RequestSpotInstances` for it get HTTP 500
 *     `InsufficientInstanceCapacity` in EC2's error XML. An instant `CreateFleet` gets what AWS
 *     answers: HTTP 200 whose `errorSet` names each refused override; if every override is
 *     refused, `fleetInstanceSet` is empty and moto is not called; otherwise the refused
 *     overrides are cut from the request before moto sees it (moto always launches the first
 *     override), so the fleet lands in the next pool and the errors are added to moto's answer.
 *     That rewritten request no longer matches its signature; moto does not check signatures.
 *     The pool is read from the request (`InstanceType`, `SubnetId`, `Placement`, the fleet's
 *     overrides; a type named only in a launch template is not seen); a zone not in the request
 *     is the subnet's, asked of moto once and kept. The SDK's standard retry treats a 500 as
 *     transient: one refused `RunInstances` costs `maxAttempts` calls unless the rule has `times`.
 *   - `inject({ service, action, when, fault })`: throttling (EC2 `RequestLimitExceeded` 503;
 *     DynamoDB `ThrottlingException` 400, JSON), `ServiceUnavailable` 503, an internal error 500,
 *     any coded error, or a dropped connection (the socket destroyed before any answer).
 *   - `delay({ ms })`: latency before the request is handled (independent of the rules above).
 * - Every request is logged with its service, action and outcome (`forwarded`, `refused`,
 *   `dropped`), so a test can assert "the SDK tried RunInstances three times" with `count`.
 *
 * ```ts
 * const proxy = await startFaultProxy(moto.endpoint);
 * const ec2 = new EC2Client({ ...proxy.clientConfig, maxAttempts: 3 });
 * proxy.refuseCapacity({ instanceType: 'm7g.medium', times: 1 });
 * ...
 * expect(proxy.count({ action: 'RunInstances', outcome: 'refused' })).toBe(1);
 * await proxy.close();
 * ```
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startMoto, TEST_CREDENTIALS, TEST_REGION, type Moto } from './moto.js';

export const ProxiedService = { Ec2: 'ec2', DynamoDb: 'dynamodb', Other: 'other' } as const;
export type ProxiedService = (typeof ProxiedService)[keyof typeof ProxiedService];

/** What a rule sees of a request. */
export interface ProxiedRequest {
  service: ProxiedService;
  /** The EC2 `Action` or DynamoDB operation (`PutItem`); `''` for anything else (moto's own API). */
  action: string;
  /** EC2's form fields as sent, lists flattened (`LaunchTemplateConfigs.1.Overrides.2.InstanceType`). */
  params: Readonly<Record<string, string>>;
  /** DynamoDB's JSON body, parsed; `undefined` for EC2. */
  input: unknown;
  /** The region of the credential scope. */
  region: string;
  /** moto's `x-moto-account-id` header, when the client sends one. */
  accountId?: string;
}

/** How a rule answers instead of moto, in the service's own error format. */
export type Fault =
  | { kind: 'throttle' }
  | { kind: 'unavailable' }
  | { kind: 'internal' }
  | { kind: 'drop' }
  | { kind: 'error'; status: number; code: string; message?: string };

export const RequestOutcome = {
  /** moto answered (a fleet with some refused pools too: `refusedPools` says how many). */
  Forwarded: 'forwarded',
  /** The proxy answered with an injected error or a fleet with no instance. */
  Refused: 'refused',
  /** The proxy destroyed the connection. */
  Dropped: 'dropped',
} as const;
export type RequestOutcome = (typeof RequestOutcome)[keyof typeof RequestOutcome];

export interface ProxiedRequestRecord {
  service: ProxiedService;
  action: string;
  outcome: RequestOutcome;
  /** The HTTP status the client got (absent when dropped). */
  status?: number;
  /** The injected error code, if any (`InsufficientInstanceCapacity`, `RequestLimitExceeded`, …). */
  code?: string;
  /** For CreateFleet: overrides answered as refused. */
  refusedPools?: number;
  /** `Date.now()` when the request arrived. */
  at: number;
}

/** A pool, or a set of pools: every field given must match, at least one must be given. */
export interface PoolMatch {
  instanceType?: string;
  subnetId?: string;
  availabilityZone?: string;
}

interface RuleScope {
  /** Requests the rule applies to before it expires; unlimited when absent. */
  times?: number;
  /** A further condition on the request. */
  when?: (request: ProxiedRequest) => boolean;
}

export interface FaultRule extends RuleScope {
  service: Exclude<ProxiedService, 'other'>;
  /** One action or several; every action of the service when absent. */
  action?: string | readonly string[];
  fault: Fault;
}

export interface DelayRule extends RuleScope {
  ms: number;
  service?: Exclude<ProxiedService, 'other'>;
  action?: string | readonly string[];
}

export interface RuleHandle {
  /** Requests the rule has answered (or delayed) so far. */
  readonly applied: number;
  /** False once `times` is used up or the rule was cleared. */
  readonly active: boolean;
  clear(): void;
}

export interface CountFilter {
  service?: ProxiedService;
  action?: string;
  outcome?: RequestOutcome;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`, for the SDK's `endpoint` or `AWS_ENDPOINT_URL`. */
  endpoint: string;
  /** SDK client options through the proxy (dummy credentials, test region, one attempt). */
  clientConfig: { endpoint: string; region: string; credentials: typeof TEST_CREDENTIALS; maxAttempts: number };
  refuseCapacity(pool: PoolMatch & RuleScope): RuleHandle;
  inject(rule: FaultRule): RuleHandle;
  delay(rule: DelayRule): RuleHandle;
  /** Clears every rule, refusals and delays alike. */
  clearRules(): void;
  /** Every request so far, oldest first. */
  readonly requests: readonly ProxiedRequestRecord[];
  count(filter?: CountFilter): number;
  resetCounts(): void;
  /** Clears the rules and the counts: a fresh proxy for the next test. */
  reset(): void;
  close(): Promise<void>;
}

/** The launch actions a capacity refusal answers. */
const LAUNCH_ACTIONS: readonly string[] = ['RunInstances', 'RequestSpotInstances', 'CreateFleet'];

const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const DYNAMO_ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

interface LiveRule {
  scope: RuleScope;
  applied: number;
  cleared: boolean;
  matches(request: ProxiedRequest): boolean;
}

function isLive(rule: LiveRule): boolean {
  return !rule.cleared && (rule.scope.times === undefined || rule.applied < rule.scope.times);
}

function handleOf(rule: LiveRule): RuleHandle {
  return {
    get applied() { return rule.applied; },
    get active() { return isLive(rule); },
    clear() { rule.cleared = true; },
  };
}

function actionMatches(wanted: string | readonly string[] | undefined, action: string): boolean {
  if (wanted === undefined) return true;
  return typeof wanted === 'string' ? wanted === action : wanted.includes(action);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** One pool a launch request asks for, as the request names it. */
interface RequestedPool {
  instanceType?: string;
  subnetId?: string;
  availabilityZone?: string;
}

/** A CreateFleet override with where it sits in the form. */
interface FleetOverride extends RequestedPool {
  config: number;
  /** 0 when the config has no overrides (the template's own pool). */
  override: number;
  launchTemplateId?: string;
  launchTemplateName?: string;
  version?: string;
}

/** The fields that are set: a pool's absent fields match nothing a rule names. */
function defined<T extends Record<string, string | undefined>>(fields: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}

function fleetOverrides(params: Readonly<Record<string, string>>): FleetOverride[] {
  const configs = new Map<number, Map<number, Record<string, string>>>();
  for (const [key, value] of Object.entries(params)) {
    const m = /^LaunchTemplateConfigs\.(\d+)\.(?:Overrides\.(\d+)\.(\w+)$|LaunchTemplateSpecification\.)/.exec(key);
    if (!m) continue;
    const config = Number(m[1]);
    const overrides = configs.get(config) ?? new Map<number, Record<string, string>>();
    configs.set(config, overrides);
    if (m[2] !== undefined && m[3] !== undefined) {
      const fields = overrides.get(Number(m[2])) ?? {};
      fields[m[3]] = value;
      overrides.set(Number(m[2]), fields);
    }
  }
  const out: FleetOverride[] = [];
  for (const [config, overrides] of [...configs].sort(([a], [b]) => a - b)) {
    const spec = (field: string) => params[`LaunchTemplateConfigs.${config}.LaunchTemplateSpecification.${field}`];
    const template = { launchTemplateId: spec('LaunchTemplateId'), launchTemplateName: spec('LaunchTemplateName'), version: spec('Version') };
    const entries: [number, Record<string, string>][] = overrides.size > 0 ? [...overrides].sort(([a], [b]) => a - b) : [[0, {}]];
    for (const [override, f] of entries) {
      out.push({ config, override, ...defined({ ...template, instanceType: f.InstanceType, subnetId: f.SubnetId, availabilityZone: f.AvailabilityZone }) });
    }
  }
  return out;
}

/** The pools a launch request asks for; `[]` for anything else (and for non-instant fleets). */
function requestedPools(request: ProxiedRequest): RequestedPool[] {
  const p = request.params;
  switch (request.action) {
    case 'RunInstances':
      return [defined({ instanceType: p.InstanceType, subnetId: p.SubnetId ?? p['NetworkInterface.1.SubnetId'], availabilityZone: p['Placement.AvailabilityZone'] })];
    case 'RequestSpotInstances':
      return [
        defined({
          instanceType: p['LaunchSpecification.InstanceType'],
          subnetId: p['LaunchSpecification.SubnetId'] ?? p['LaunchSpecification.NetworkInterface.1.SubnetId'],
          availabilityZone: p['LaunchSpecification.Placement.AvailabilityZone'],
        }),
      ];
    case 'CreateFleet':
      return p.Type === 'instant' ? fleetOverrides(p) : [];
    default:
      return [];
  }
}

function isSpotLaunch(request: ProxiedRequest): boolean {
  const p = request.params;
  if (request.action === 'RequestSpotInstances') return true;
  if (request.action === 'CreateFleet') return (p['TargetCapacitySpecification.DefaultTargetCapacityType'] ?? 'spot') === 'spot';
  return p['InstanceMarketOptions.MarketType'] === 'spot';
}

function capacityMessage(pool: RequestedPool, spot: boolean): string {
  if (spot) return 'There is no Spot capacity available that matches your request.';
  const zone = pool.availabilityZone ? ` (${pool.availabilityZone})` : '';
  return `We currently do not have sufficient ${pool.instanceType ?? 'instance'} capacity in the Availability Zone you requested${zone}. Our system will be working on provisioning additional capacity.`;
}

export function ec2ErrorXml(code: string, message: string, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors>` +
    `<RequestID>${requestId}</RequestID></Response>`
  );
}

function fleetErrorItems(refused: readonly FleetOverride[], lifecycle: string, spot: boolean): string {
  const tag = (name: string, value: string | undefined) => (value === undefined ? '' : `<${name}>${escapeXml(value)}</${name}>`);
  return refused
    .map(
      (o) =>
        '<item><launchTemplateAndOverrides><launchTemplateSpecification>' +
        tag('launchTemplateId', o.launchTemplateId) + tag('launchTemplateName', o.launchTemplateName) + tag('version', o.version) +
        '</launchTemplateSpecification><overrides>' +
        tag('instanceType', o.instanceType) + tag('subnetId', o.subnetId) + tag('availabilityZone', o.availabilityZone) +
        `</overrides></launchTemplateAndOverrides><lifecycle>${lifecycle}</lifecycle>` +
        `<errorCode>InsufficientInstanceCapacity</errorCode><errorMessage>${escapeXml(capacityMessage(o, spot))}</errorMessage></item>`,
    )
    .join('');
}

/** The form without the refused overrides, the rest renumbered from 1 (configs left empty go too). */
function withoutOverrides(params: Readonly<Record<string, string>>, refused: readonly FleetOverride[]): string {
  const gone = new Set(refused.map((o) => `${o.config}.${o.override}`));
  const kept = fleetOverrides(params).filter((o) => !gone.has(`${o.config}.${o.override}`));
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (!key.startsWith('LaunchTemplateConfigs.')) form.append(key, value);
  const configs = [...new Set(kept.map((o) => o.config))];
  configs.forEach((config, ci) => {
    const prefix = `LaunchTemplateConfigs.${config}.`;
    for (const [key, value] of Object.entries(params)) {
      if (key.startsWith(`${prefix}LaunchTemplateSpecification.`)) form.append(key.replace(prefix, `LaunchTemplateConfigs.${ci + 1}.`), value);
    }
    kept.filter((o) => o.config === config).forEach((o, oi) => {
      const from = `${prefix}Overrides.${o.override}.`;
      for (const [key, value] of Object.entries(params)) {
        if (key.startsWith(from)) form.append(key.replace(from, `LaunchTemplateConfigs.${ci + 1}.Overrides.${oi + 1}.`), value);
      }
    });
  });
  return form.toString();
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function classify(headers: IncomingHttpHeaders, body: Buffer): ProxiedRequest {
  const scope = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\/aws4_request/.exec(headers.authorization ?? '');
  const region = scope?.[1] ?? TEST_REGION;
  const signedFor = scope?.[2];
  const target = typeof headers['x-amz-target'] === 'string' ? headers['x-amz-target'] : '';
  const accountId = typeof headers['x-moto-account-id'] === 'string' ? headers['x-moto-account-id'] : undefined;
  const base = { region, ...(accountId !== undefined && { accountId }) };
  if (signedFor === 'dynamodb' || target.startsWith('DynamoDB_')) {
    let input: unknown;
    try { input = JSON.parse(body.toString('utf8')); } catch { input = undefined; }
    return { ...base, service: ProxiedService.DynamoDb, action: target.split('.')[1] ?? '', params: {}, input };
  }
  const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  if (signedFor === 'ec2' || (signedFor === undefined && params.Action !== undefined && params.Version !== undefined)) {
    return { ...base, service: ProxiedService.Ec2, action: params.Action ?? '', params, input: undefined };
  }
  return { ...base, service: ProxiedService.Other, action: '', params: {}, input: undefined };
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const faultRules: { rule: LiveRule; answer: Fault | PoolMatch; capacity: boolean }[] = [];
  const delayRules: { rule: LiveRule; ms: number }[] = [];
  const log: ProxiedRequestRecord[] = [];
  const sockets = new Set<Socket>();
  const subnetZones = new Map<string, Promise<string | undefined>>();
  const zoneClients = new Map<string, EC2Client>();

  /** The subnet's zone, asked of moto directly (not through the proxy, so not counted). */
  function zoneOfSubnet(request: ProxiedRequest, subnetId: string): Promise<string | undefined> {
    const key = `${request.accountId ?? ''}|${request.region}|${subnetId}`;
    let zone = subnetZones.get(key);
    if (!zone) {
      const clientKey = `${request.accountId ?? ''}|${request.region}`;
      let client = zoneClients.get(clientKey);
      if (!client) {
        client = new EC2Client({ endpoint: upstream, region: request.region, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
        const accountId = request.accountId;
        if (accountId !== undefined) {
          client.middlewareStack.add((next) => (args) => {
            (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = accountId;
            return next(args);
          }, { step: 'build', name: 'motoAccount' });
        }
        zoneClients.set(clientKey, client);
      }
      zone = client
        .send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] }))
        .then((out) => out.Subnets?.[0]?.AvailabilityZone)
        .catch(() => undefined);
      subnetZones.set(key, zone);
    }
    return zone;
  }

  async function poolMatches(request: ProxiedRequest, want: PoolMatch, pool: RequestedPool): Promise<boolean> {
    if (want.instanceType !== undefined && want.instanceType !== pool.instanceType) return false;
    if (want.subnetId !== undefined && want.subnetId !== pool.subnetId) return false;
    if (want.availabilityZone === undefined) return true;
    const zone = pool.availabilityZone ?? (pool.subnetId === undefined ? undefined : await zoneOfSubnet(request, pool.subnetId));
    return zone === want.availabilityZone;
  }

  function record(request: ProxiedRequest, outcome: RequestOutcome, extra: Partial<ProxiedRequestRecord> = {}, at = Date.now()) {
    log.push({ service: request.service, action: request.action, outcome, at, ...extra });
  }

  function sendFault(res: ServerResponse, request: ProxiedRequest, fault: Exclude<Fault, { kind: 'drop' }>, at: number) {
    const requestId = randomUUID();
    const ec2 = request.service === ProxiedService.Ec2;
    const { status, code, message } = ((): { status: number; code: string; message: string } => {
      switch (fault.kind) {
        case 'throttle':
          return ec2 ? { status: 503, code: 'RequestLimitExceeded', message: 'Request limit exceeded.' } : { status: 400, code: 'ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' };
        case 'unavailable':
          return { status: 503, code: 'ServiceUnavailable', message: 'The service is unavailable. Please try again shortly.' };
        case 'internal':
          return ec2 ? { status: 500, code: 'InternalError', message: 'An internal error has occurred.' } : { status: 500, code: 'InternalServerError', message: 'Internal server error' };
        case 'error':
          return { status: fault.status, code: fault.code, message: fault.message ?? fault.code };
      }
    })();
    if (ec2) {
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
      res.end(ec2ErrorXml(code, message, requestId));
    } else {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId });
      res.end(JSON.stringify({ __type: `${DYNAMO_ERROR_PREFIX}${code}`, message }));
    }
    record(request, RequestOutcome.Refused, { status, code }, at);
  }

  function forward(req: IncomingMessage, res: ServerResponse, body: Buffer | string, edit?: (xml: string) => string): Promise<number> {
    const headers = { ...req.headers };
    if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise((resolve) => {
      const out = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (upstreamRes) => {
        const status = upstreamRes.statusCode ?? 502;
        if (!edit) {
          res.writeHead(status, upstreamRes.headers);
          upstreamRes.pipe(res);
          upstreamRes.on('end', () => resolve(status));
          return;
        }
        void readBody(upstreamRes).then((raw) => {
          const text = status === 200 ? edit(raw.toString('utf8')) : raw.toString('utf8');
          res.writeHead(status, { ...upstreamRes.headers, 'content-length': String(Buffer.byteLength(text)) });
          res.end(text);
          resolve(status);
        });
      });
      out.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`fault proxy: upstream ${upstream} failed: ${err.message}`);
        resolve(502);
      });
      out.end(body);
    });
  }

  /** The pools of a launch that an active capacity rule refuses, with the rules that refused them. */
  async function refusedPools(request: ProxiedRequest, first: LiveRule, firstPool: PoolMatch) {
    const pools = requestedPools(request);
    const refused = new Set<number>();
    const used = new Set<LiveRule>();
    const candidates = [{ rule: first, pool: firstPool }, ...faultRules.filter((r) => r.capacity && r.rule !== first).map((r) => ({ rule: r.rule, pool: r.answer as PoolMatch }))];
    for (const { rule, pool } of candidates) {
      if (!isLive(rule) || (rule.scope.when && !rule.scope.when(request))) continue;
      for (const [i, requested] of pools.entries()) {
        if (await poolMatches(request, pool, requested)) {
          refused.add(i);
          used.add(rule);
        }
      }
      if (request.action !== 'CreateFleet') break;
    }
    return { pools, refused, used };
  }

  async function answerCapacity(req: IncomingMessage, res: ServerResponse, request: ProxiedRequest, rule: LiveRule, want: PoolMatch, at: number) {
    const { pools, refused, used } = await refusedPools(request, rule, want);
    for (const r of used) r.applied += 1;
    const spot = isSpotLaunch(request);
    if (request.action !== 'CreateFleet') {
      const code = 'InsufficientInstanceCapacity';
      sendFault(res, request, { kind: 'error', status: 500, code, message: capacityMessage(pools[0] ?? {}, spot) }, at);
      return;
    }
    const overrides = pools as FleetOverride[];
    const refusedOverrides = overrides.filter((_, i) => refused.has(i));
    const errors = `<errorSet>${fleetErrorItems(refusedOverrides, spot ? 'spot' : 'on-demand', spot)}</errorSet>`;
    if (refusedOverrides.length === overrides.length) {
      const requestId = randomUUID();
      const xml =
        `<?xml version="1.0" encoding="UTF-8"?>\n<CreateFleetResponse xmlns="${EC2_XMLNS}"><requestId>${requestId}</requestId>` +
        `<fleetId>fleet-${randomUUID()}</fleetId>${errors}<fleetInstanceSet/></CreateFleetResponse>`;
      res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId });
      res.end(xml);
      record(request, RequestOutcome.Refused, { status: 200, code: 'InsufficientInstanceCapacity', refusedPools: refusedOverrides.length }, at);
      return;
    }
    const status = await forward(req, res, withoutOverrides(request.params, refusedOverrides), (xml) => xml.replace('</CreateFleetResponse>', `${errors}</CreateFleetResponse>`));
    record(request, RequestOutcome.Forwarded, { status, code: 'InsufficientInstanceCapacity', refusedPools: refusedOverrides.length }, at);
  }

  async function firstMatch(request: ProxiedRequest) {
    for (const entry of faultRules) {
      const { rule } = entry;
      if (!isLive(rule) || !rule.matches(request)) continue;
      if (rule.scope.when && !rule.scope.when(request)) continue;
      if (entry.capacity) {
        const pools = requestedPools(request);
        let hit = false;
        for (const pool of pools) if (await poolMatches(request, entry.answer as PoolMatch, pool)) hit = true;
        if (!hit) continue;
      }
      return entry;
    }
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const at = Date.now();
    const body = await readBody(req);
    const request = classify(req.headers, body);
    const delayed = delayRules.find(({ rule }) => isLive(rule) && rule.matches(request) && (!rule.scope.when || rule.scope.when(request)));
    if (delayed) {
      delayed.rule.applied += 1;
      await new Promise((r) => setTimeout(r, delayed.ms));
    }
    const entry = request.service === ProxiedService.Other ? undefined : await firstMatch(request);
    if (!entry) {
      const status = await forward(req, res, body);
      record(request, RequestOutcome.Forwarded, { status }, at);
      return;
    }
    if (entry.capacity) {
      await answerCapacity(req, res, request, entry.rule, entry.answer as PoolMatch, at);
      return;
    }
    entry.rule.applied += 1;
    const fault = entry.answer as Fault;
    if (fault.kind === 'drop') {
      record(request, RequestOutcome.Dropped, {}, at);
      req.socket.destroy();
      return;
    }
    sendFault(res, request, fault, at);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fault proxy: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function addFaultRule(scope: RuleScope, matches: (r: ProxiedRequest) => boolean, answer: Fault | PoolMatch, capacity: boolean): RuleHandle {
    const rule: LiveRule = { scope, applied: 0, cleared: false, matches };
    faultRules.push({ rule, answer, capacity });
    return handleOf(rule);
  }

  function clearRules(): void {
    for (const { rule } of [...faultRules, ...delayRules]) rule.cleared = true;
    faultRules.length = 0;
    delayRules.length = 0;
  }

  return {
    endpoint,
    clientConfig: { endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 },
    refuseCapacity({ times, when, ...pool }) {
      if (pool.instanceType === undefined && pool.subnetId === undefined && pool.availabilityZone === undefined) {
        throw new Error('refuseCapacity: name an instanceType, a subnetId or an availabilityZone');
      }
      const matches = (r: ProxiedRequest) => r.service === ProxiedService.Ec2 && LAUNCH_ACTIONS.includes(r.action);
      return addFaultRule({ ...(times !== undefined && { times }), ...(when && { when }) }, matches, pool, true);
    },
    inject({ service, action, fault, ...scope }) {
      return addFaultRule(scope, (r) => r.service === service && actionMatches(action, r.action), fault, false);
    },
    delay({ ms, service, action, ...scope }) {
      const rule: LiveRule = { scope, applied: 0, cleared: false, matches: (r) => r.service !== ProxiedService.Other && (service === undefined || r.service === service) && actionMatches(action, r.action) };
      delayRules.push({ rule, ms });
      return handleOf(rule);
    },
    clearRules,
    get requests() { return log; },
    count(filter = {}) {
      return log.filter((r) => (filter.service === undefined || r.service === filter.service) && (filter.action === undefined || r.action === filter.action) && (filter.outcome === undefined || r.outcome === filter.outcome)).length;
    },
    resetCounts() { log.length = 0; },
    reset() {
      clearRules();
      log.length = 0;
    },
    async close() {
      for (const client of zoneClients.values()) client.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A moto server behind a fault proxy for the whole test file: started before its tests, stopped
 * after, and reset before each test (moto's state, the proxy's rules and counts). Read `moto`
 * and `proxy` inside hooks and tests, once they have started.
 */
export function motoBehindFaultProxy(): { readonly moto: Moto; readonly proxy: FaultProxy } {
  let moto: Moto | undefined;
  let proxy: FaultProxy | undefined;
  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
  });
  afterAll(async () => {
    await proxy?.close();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto?.reset();
    proxy?.reset();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not started yet: read it inside a hook or a test`);
    return value;
  };
  return {
    get moto() {
      return started(moto, 'moto');
    },
    get proxy() {
      return started(proxy, 'the fault proxy');
    },
  };
}
