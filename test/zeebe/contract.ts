// Camunda 8.8's REST contract, for checking every request we send to a cluster and
// every answer our fakes give in its place. The schemas are Camunda's own: the zod
// schemas generated from the 8.8 OpenAPI document and shipped in
// @camunda8/orchestration-cluster-api 8.8.4, the client @camunda8/sdk 8.8.13 runs
// (an exact devDependency, so the schemas are those of the client in use). The
// package does not export them; its validation gate hands each operation's
// request and response schema to the client's ValidationManager, so a client
// whose gate records them, and whose fetch records the route, yields them all.
//
// Two rules are stricter than the SDK's own "strict" mode, as an 8.8 server is:
// unknown properties are refused at every depth (the SDK's zod objects strip them,
// so `{ $notIn: [...] }` would pass as `{}`), and answers must match exactly too.
import { createCamundaClient } from '@camunda8/orchestration-cluster-api';
import { z } from 'zod';

type Schema = z.ZodType;
type Def = Schema['_zod']['def'] & Record<string, unknown>;

export type Operation = {
  name: string;
  method: string;
  /** As the SDK sends it, with `{param}` for path parameters, e.g. /v2/jobs/{jobKey}/completion. */
  path: string;
  params: string[];
  pattern: RegExp;
  request?: Schema;
  response?: Schema;
};

export type Violation = { operation: string; route: string; side: 'request' | 'response'; where: string; rule: string };

const STOP = new Error('contract: stop before the network');
const ORIGIN = 'http://contract.invalid';

type Gate = {
  settings: { req: string; res: string };
  gateRequest(op: string, schema: Schema, envelope: unknown): Promise<unknown>;
  gateResponse(op: string, schema: Schema, data: unknown): Promise<unknown>;
};

function sdkClient(fetch: (req: Request) => Promise<Response>, gate?: Omit<Gate, 'settings'>) {
  const client = createCamundaClient({
    config: { CAMUNDA_REST_ADDRESS: ORIGIN, CAMUNDA_AUTH_STRATEGY: 'NONE', CAMUNDA_SDK_HTTP_RETRY_MAX_ATTEMPTS: 1, CAMUNDA_SDK_LOG_LEVEL: 'silent' },
    fetch: fetch as typeof globalThis.fetch,
  } as Parameters<typeof createCamundaClient>[0]);
  // The client's ValidationManager (an internal the package's own tests use) sees each operation's schemas.
  if (gate) (client as unknown as { _validation: Gate })._validation = { settings: { req: 'strict', res: 'strict' }, ...gate };
  return client as unknown as Record<string, (arg?: unknown, consistency?: unknown) => Promise<unknown>>;
}

/** Every operation of the 8.8 client: its route and schemas, read by calling each once against a fetch that goes nowhere. */
async function harvest(): Promise<Map<string, Operation>> {
  const found = new Map<string, Partial<Operation>>();
  let current = '';
  const client = sdkClient(
    async (req) => {
      found.get(current)!.method = req.method;
      found.get(current)!.path = new URL(req.url).pathname;
      return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
    },
    {
      gateRequest: async (_op, schema, envelope) => ((found.get(current)!.request = schema), envelope),
      gateResponse: async (_op, schema) => {
        found.get(current)!.response = schema;
        throw STOP;
      },
    },
  );
  // Path parameters come back as markers (`__jobKey__`), which name them in the route.
  const anyArg = new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? `__${k}__` : undefined), ownKeys: () => [] });
  const proto = Object.getPrototypeOf(client) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const fn = proto[name];
    if (name.startsWith('_') || name === 'constructor' || typeof fn !== 'function' || !/_invokeWithRetry|_validation\.settings/.test(String(fn))) continue;
    current = name;
    found.set(name, { name });
    await client[name]!(anyArg, {}).catch(() => undefined);
  }
  const out = new Map<string, Operation>();
  for (const op of found.values()) {
    if (!op.method || !op.path) continue;
    const params = [...op.path.matchAll(/__([A-Za-z0-9]+)__/g)].map((m) => m[1]!);
    const path = op.path.replace(/__([A-Za-z0-9]+)__/g, '{$1}');
    const pattern = new RegExp(`^${op.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/__([A-Za-z0-9]+)__/g, '(?<$1>[^/]+)')}$`);
    out.set(op.name!, { ...(op as Operation), path, params, pattern });
  }
  return out;
}

// ---- strict copies of the schemas: unknown properties refused at every depth ----

const strictCache = new WeakMap<Schema, Schema>();
const defOf = (s: Schema) => s._zod.def as Def;

/** The object parts an intersection stands for, one list per alternative (unions inside it multiply out); undefined if not all objects. */
function objectAlternatives(s: Schema): Schema[][] | undefined {
  const def = defOf(s);
  if (def.type === 'object') return [[s]];
  if (def.type === 'intersection') {
    const left = objectAlternatives(def.left as Schema);
    const right = objectAlternatives(def.right as Schema);
    if (!left || !right) return undefined;
    return left.flatMap((l) => right.map((r) => [...l, ...r]));
  }
  if (def.type === 'union') {
    const parts = (def.options as Schema[]).map(objectAlternatives);
    return parts.every(Boolean) ? (parts.flat() as Schema[][]) : undefined;
  }
  return undefined;
}

/** One strict object with the properties of all parts (a property in several parts must satisfy each). */
function mergedStrictObject(parts: Schema[]): Schema {
  const props = new Map<string, Schema[]>();
  for (const p of parts) for (const [k, v] of Object.entries(defOf(p).shape as Record<string, Schema>)) props.set(k, [...(props.get(k) ?? []), v]);
  const shape: Record<string, Schema> = {};
  for (const [k, schemas] of props) {
    Object.defineProperty(shape, k, {
      enumerable: true,
      get: () => schemas.map(strict).reduce((a, b) => z.intersection(a, b)),
    });
  }
  return z.strictObject(shape);
}

/** A copy of `s` that refuses properties its objects do not declare, as an 8.8 server does. */
export function strict(s: Schema): Schema {
  const cached = strictCache.get(s);
  if (cached) return cached;
  const def = defOf(s);
  const clone = (patch: Record<string, unknown>) => (s as unknown as { clone(d: object): Schema }).clone({ ...def, ...patch });
  let out: Schema;
  switch (def.type) {
    case 'object': {
      const source = def.shape as Record<string, Schema>;
      const shape: Record<string, Schema> = {};
      // Lazily, so recursive schemas stay finite.
      for (const k of Object.keys(source)) Object.defineProperty(shape, k, { enumerable: true, get: () => strict(source[k]!) });
      out = clone({ shape, catchall: def.catchall ?? z.never() });
      break;
    }
    case 'intersection': {
      const alternatives = objectAlternatives(s);
      if (alternatives) {
        const merged = alternatives.map(mergedStrictObject);
        out = merged.length === 1 ? merged[0]! : z.union(merged as [Schema, Schema, ...Schema[]]);
      } else out = clone({ left: strict(def.left as Schema), right: strict(def.right as Schema) });
      break;
    }
    case 'union':
      out = clone({ options: (def.options as Schema[]).map(strict) });
      break;
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'nonoptional':
    case 'catch':
      out = clone({ innerType: strict(def.innerType as Schema) });
      break;
    case 'array':
      out = clone({ element: strict(def.element as Schema) });
      break;
    case 'record':
      out = clone({ valueType: strict(def.valueType as Schema) });
      break;
    case 'pipe':
      out = clone({ in: strict(def.in as Schema), out: strict(def.out as Schema) });
      break;
    case 'lazy': {
      const getter = def.getter as () => Schema;
      out = z.lazy(() => strict(getter()));
      break;
    }
    default:
      out = s;
  }
  strictCache.set(s, out);
  return out;
}

// ---- reporting ----

type Issue = { code: string; path: PropertyKey[]; message: string; keys?: string[]; errors?: Issue[][] };

const pathText = (base: string, path: PropertyKey[]) => [base, ...path.map(String)].filter(Boolean).join('.') || '(root)';

function describe(issue: Issue, side: Violation['side']): string {
  if (issue.code === 'unrecognized_keys') {
    const why = side === 'request' ? '8.8 servers answer 400' : 'not in the 8.8 answer';
    return `unknown ${issue.keys!.length > 1 ? 'properties' : 'property'} ${issue.keys!.join(', ')} (${why})`;
  }
  if (issue.code === 'invalid_union' && issue.errors?.length)
    return `matches none of its ${issue.errors.length} forms: ${issue.errors
      .map((branch, i) => `(${i + 1}) ${branch.map((b) => `${b.path.length ? b.path.map(String).join('.') + ': ' : ''}${describe(b, side)}`).join('; ')}`)
      .join(' ')}`;
  return issue.message;
}

function violationsOf(
  side: Violation['side'],
  result: { success: boolean; error?: { issues: unknown[] } },
  base: (path: PropertyKey[]) => { where: string; path: PropertyKey[] },
) {
  if (result.success) return [];
  return (result.error!.issues as Issue[]).map((issue) => {
    const { where, path } = base(issue.path);
    return { where: pathText(where, path), rule: describe(issue, side) };
  });
}

export function formatViolations(violations: Violation[]): string {
  return violations.map((v) => `${v.operation} (${v.route}) ${v.side} ${v.where}: ${v.rule}`).join('\n');
}

// ---- the contract ----

export type WireRequest = { method: string; url: string; contentType?: string | null; body?: Uint8Array | string };

export class Camunda88Contract {
  /** Operations checked so far, by name. */
  readonly seen = new Set<string>();
  readonly violations: Violation[] = [];
  private readonly capture = sdkClient(async (req) => {
    this.captured.push(req);
    throw STOP;
  });
  private captured: Request[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly operations: Map<string, Operation>) {}

  operation(name: string): Operation {
    const op = this.operations.get(name);
    if (!op) throw new Error(`contract: the 8.8 client has no operation ${name}`);
    return op;
  }

  /** Which operation a method and path are, with its path parameters. */
  route(method: string, path: string): { op: Operation; params: Record<string, string> } | undefined {
    for (const op of this.operations.values()) {
      if (op.method !== method) continue;
      const m = op.pattern.exec(path);
      if (m) return { op, params: Object.fromEntries(Object.entries(m.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)])) };
    }
    return undefined;
  }

  private record(v: Violation[]): Violation[] {
    this.violations.push(...v);
    return v;
  }

  /** Checks a request as it goes over the wire; answers its operation (undefined: no 8.8 endpoint) and what it breaks. */
  async checkRequest(req: WireRequest): Promise<{ op?: Operation; violations: Violation[] }> {
    const url = new URL(req.url, ORIGIN);
    const found = this.route(req.method, url.pathname);
    const routeText = `${req.method} ${url.pathname}`;
    if (!found)
      return { violations: this.record([{ operation: '?', route: routeText, side: 'request', where: 'path', rule: 'no such endpoint in the 8.8 REST API' }]) };
    const { op, params } = found;
    this.seen.add(op.name);
    const body = await parseBody(req);
    const query = url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : undefined;
    const envelope = { body, path: op.params.length > 0 ? params : undefined, query };
    const route = `${op.method} ${op.path}`;
    if (!op.request) {
      const extra = body !== undefined ? [{ where: 'body', rule: 'this operation takes no body' }] : [];
      return { op, violations: this.record(extra.map((e) => ({ operation: op.name, route, side: 'request' as const, ...e }))) };
    }
    const found2 = violationsOf('request', strict(op.request).safeParse(envelope), (path) => ({ where: String(path[0] ?? ''), path: path.slice(1) }));
    return { op, violations: this.record(found2.map((v) => ({ operation: op.name, route, side: 'request' as const, ...v }))) };
  }

  /** Checks the request the SDK builds for `client[operation](arg)`, as the SDK would send it (the call itself goes nowhere). */
  checkSdkCall(operation: string, arg?: unknown): Promise<Violation[]> {
    this.operation(operation);
    // One at a time: the capturing fetch cannot tell concurrent calls apart.
    const run = this.queue.then(async () => {
      this.captured = [];
      // A copy: the SDK fills in a default tenant in place, and the caller's object is the test's record.
      await this.capture[operation]!(copy(arg), {}).catch((err: unknown) => {
        if (this.captured.length === 0) throw err;
      });
      const req = this.captured[0];
      if (!req) throw new Error(`contract: the SDK sent nothing for ${operation}`);
      const body = new Uint8Array(await req.arrayBuffer());
      return (await this.checkRequest({ method: req.method, url: req.url, contentType: req.headers.get('content-type'), body })).violations;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Checks an answer the cluster would give to `operation` (a 2xx body; undefined for 204). */
  checkResponse(operation: string, body: unknown): Violation[] {
    const op = this.operation(operation);
    if (!op.response) return [];
    const route = `${op.method} ${op.path}`;
    const found = violationsOf('response', strict(op.response).safeParse(body), (path) => ({ where: 'body', path }));
    return this.record(found.map((v) => ({ operation: op.name, route, side: 'response' as const, ...v })));
  }

  /** Violations since the last call, emptied. */
  take(): Violation[] {
    return this.violations.splice(0);
  }

  /** Throws, naming each operation, place and rule, if anything broke the contract since the last check. */
  assertKept(): void {
    const broken = this.take();
    if (broken.length > 0) throw new Error(`requests or answers that break Camunda 8.8's REST contract:\n${formatViolations(broken)}`);
  }
}

/** A copy of plain objects and arrays; anything else (File) as is. */
function copy(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copy);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
  return v;
}

async function parseBody(req: WireRequest): Promise<unknown> {
  const raw = req.body;
  if (raw === undefined || raw.length === 0) return undefined;
  const type = req.contentType ?? '';
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const out: Record<string, unknown> = {};
    for (const key of new Set(form.keys())) {
      const values = form.getAll(key);
      // Files are lists in the API (resources); a field given once is a value.
      out[key] = values.some((v) => typeof v !== 'string') || values.length > 1 ? values : values[0];
    }
    return out;
  }
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  return JSON.parse(text);
}

let loading: Promise<Camunda88Contract> | undefined;

/** The contract, read once per test file (about 0.2 s). */
export function camunda88Contract(): Promise<Camunda88Contract> {
  loading ??= harvest().then((ops) => new Camunda88Contract(ops));
  return loading;
}
