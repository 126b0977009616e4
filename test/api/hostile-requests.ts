// Hostile requests for one operation of an OpenAPI document, as fast-check arbitraries.
// A request starts as one the route takes (the document's example body, values of
// records that exist, the admin token where the route needs it) and gets one to three
// faults: a path or query parameter, a header or a body field set to a hostile value, an
// unknown field or parameter, a body that is not JSON or not UTF-8 or 2 MB long, another
// content type or encoding, a bad signature or no credentials. One fault at a time gets
// past the checks before it, so each reaches the code it aims at. A request is a small
// description (fast-check prints it as the counterexample); `materialize` makes the bytes.
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  example?: unknown;
};
type Parameter = { name: string; in: 'path' | 'query' | 'header'; schema?: JsonSchema };
type MediaType = { schema?: JsonSchema; example?: unknown; examples?: Record<string, { value: unknown }> };
type Operation = { parameters?: Parameter[]; requestBody?: { content: Record<string, MediaType> }; security?: unknown[] };
export type OpenApiDocument = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, JsonSchema> } };

/** What the document cannot know: values of records that exist, by parameter name, and bodies that match them. */
export type Fixtures = {
  pathValues: Record<string, string>;
  bodies: Record<string, () => unknown>;
  /** What every secured operation is called with (the development key: every scope), unless the request tries a bad one. */
  credential: string;
  /** Per operation ("METHOD /path"), the credential instead of `credential` (a customer's token for the customer's own routes). */
  credentialFor?: Record<string, string>;
  /** Per operation, headers a request the route takes carries (the faults may change or drop them). */
  headers?: Record<string, () => Record<string, string>>;
  /** The header a signed body carries, and its value for these bytes. */
  signature?: { header: string; sign(body: Buffer): string };
};

/** A JSON token written as is: numbers JSON.stringify cannot produce (1e400, -0, 30 digits). */
class RawJson {
  constructor(readonly json: string) {}
}

export type BodySpec =
  | { kind: 'json'; value: unknown }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: number[] }
  /** 2 MB of JSON: past every body limit. */
  | { kind: 'huge' };

export type Encoding = 'identity' | 'gzip' | 'deflate' | 'br' | 'not-gzip' | 'not-deflate' | 'not-br' | 'zstd' | 'gzip, gzip' | 'x-nope';
export type Auth = 'bearer' | 'basic' | 'wrong-token' | 'malformed' | 'none';
export type Signature = 'valid' | 'stale' | 'malformed' | 'none';

export type HostileRequest = {
  operation: string;
  method: string;
  /** The path and query as sent: already percent-encoded (or deliberately not). */
  target: string;
  headers: Record<string, string>;
  auth: Auth;
  body?: { spec: BodySpec; contentType: string | undefined; encoding: Encoding | undefined; signature: Signature };
  /** What was done to a request the route takes (shown in a counterexample). */
  faults: Fault[];
};

// ---- values ------------------------------------------------------------------

const weighted = <T>(weight: number, arbitrary: fc.Arbitrary<T>) => ({ weight, arbitrary });

const surrogateHalf = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** `text` with a NUL or an unpaired surrogate put in: it passes the checks the original passes, but for that. */
const spoiled = (text: string): fc.Arbitrary<string> =>
  fc.tuple(fc.nat({ max: text.length }), fc.oneof(fc.constant('\0'), surrogateHalf)).map(([i, c]) => text.slice(0, i) + c + text.slice(i));
const oddChar = fc.constantFrom('\0', '\u202e', '\ufeff', '\uffff', '\u0085', '%', '/', '\\', '?', '#', '.', ' ', '\n', '"', "'", '<', '&', '+', '=');
const hostileChar = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: surrogateHalf },
  { weight: 2, arbitrary: oddChar },
);

const NASTY_STRINGS = [
  '',
  ' ',
  '\0',
  'a\u0000b',
  '\ud800',
  'a\udfffb',
  '\udc00\ud800',
  'NaN',
  'Infinity',
  '-Infinity',
  'null',
  'undefined',
  'true',
  '[]',
  '{}',
  '0',
  '-0',
  '-1',
  '1.5',
  '1e309',
  '0x10',
  '9223372036854775807',
  '9223372036854775808',
  '18446744073709551616',
  '99999999999999999999',
  '00000000-0000-0000-0000-000000000000',
  '..',
  '%',
  '%00',
  '%ZZ',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '😀',
  'é',
  '__proto__',
  'constructor',
];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: hostileChar, maxLength: 30 }) },
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 1, arbitrary: fc.integer({ min: 201, max: 3000 }).map((n) => 'x'.repeat(n)) },
  { weight: 1, arbitrary: fc.bigInt({ min: 2n ** 63n, max: 10n ** 19n - 1n }).map(String) },
);

/** Numbers as text, for parameters that are digits: beyond 64 bits, negative, fractions, leading zeros. */
const hostileDigits: fc.Arbitrary<string> = fc.oneof(
  fc.bigInt({ min: 2n ** 63n, max: 10n ** 19n - 1n }).map(String),
  fc.bigInt({ min: 10n ** 19n, max: 10n ** 40n }).map(String),
  fc.bigInt({ min: -(2n ** 64n), max: 0n }).map(String),
  fc.constantFrom('0', '00', '007', '1.0', '1e3', '0x1F', '+1', ' 1', '9223372036854775807', '9223372036854775808', '18446744073709551615', 'NaN', 'Infinity'),
);

const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1.5, 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, 2 ** 63, 1e21),
  fc.integer(),
  fc.double(),
  fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '-0', '1.0', '0.0000001', '1E2').map((t) => new RawJson(t)),
);

/** Arrays nested deeper than any call stack would like. */
const deepNesting = fc.integer({ min: 50, max: 20_000 }).map((n) => new RawJson('['.repeat(n) + ']'.repeat(n)));

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom(null, [], {}, [null], { '': '' }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }) },
  { weight: 1, arbitrary: deepNesting },
);

/** JSON text of `value`, RawJson tokens as they are. */
function jsonText(value: unknown): string {
  if (value instanceof RawJson) return value.json;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

// ---- from the document ----------------------------------------------------------

function resolve(doc: OpenApiDocument, schema: JsonSchema | undefined): JsonSchema {
  if (!schema?.$ref) return schema ?? {};
  return resolve(doc, doc.components?.schemas?.[schema.$ref.replace('#/components/schemas/', '')]);
}

/** A value the schema takes, as far as the document tells (its example, an enum member, a plain value of its type). */
function validValue(doc: OpenApiDocument, raw: JsonSchema | undefined): unknown {
  const schema = resolve(doc, raw);
  if (schema.example !== undefined) return schema.example;
  if (schema.enum?.length) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'object') return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, validValue(doc, s)]));
  if (type === 'array') return [validValue(doc, schema.items)];
  if (type === 'integer' || type === 'number') return 1;
  if (type === 'boolean') return true;
  return 'x';
}

/** Every path into `value` (objects and arrays), the root excluded. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...prefix, i], ...pathsOf(v, [...prefix, i])]);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, [...prefix, k])]);
  return [];
}

const isContainer = (v: unknown) => v !== null && typeof v === 'object';
const at = (value: unknown, path: (string | number)[]) =>
  path.reduce<unknown>((v, step) => (isContainer(v) ? (v as Record<string | number, unknown>)[step] : undefined), value);

type Mutation = { set: (string | number)[]; value: unknown } | { delete: (string | number)[] } | { add: (string | number)[]; key: string; value: unknown };

function mutate(base: unknown, mutations: Mutation[]): unknown {
  const copy: unknown = structuredClone(base);
  for (const m of mutations) {
    const target = 'add' in m ? m.add : ('set' in m ? m.set : m.delete).slice(0, -1);
    const parent = at(copy, target);
    if (!isContainer(parent)) continue;
    const fields = parent as Record<string | number, unknown>;
    if ('add' in m) fields[m.key] = m.value;
    else if ('set' in m) fields[m.set[m.set.length - 1]!] = m.value;
    else delete fields[m.delete[m.delete.length - 1]!];
  }
  return copy;
}

/** One change to the JSON body: a field set to a hostile value, removed, or one added; none for a body that is no object. */
function mutation(base: unknown): fc.Arbitrary<Mutation> | undefined {
  const paths = pathsOf(base);
  // Fields are added to objects only: a named property of an array is no JSON.
  const containers: (string | number)[][] = [[], ...paths].filter((p) => isContainer(at(base, p)) && !Array.isArray(at(base, p)));
  const texts = paths.filter((p) => typeof at(base, p) === 'string');
  if (paths.length === 0 && containers.length === 0) return undefined;
  return fc.oneof(
    ...(paths.length
      ? [
          { weight: 6, arbitrary: fc.record({ set: fc.constantFrom(...paths), value: hostileValue }) },
          { weight: 1, arbitrary: fc.record({ delete: fc.constantFrom(...paths) }) },
        ]
      : []),
    ...(texts.length
      ? [{ weight: 3, arbitrary: fc.constantFrom(...texts).chain((set) => spoiled(at(base, set) as string).map((value): Mutation => ({ set, value }))) }]
      : []),
    ...(containers.length
      ? [
          {
            weight: 3,
            arbitrary: fc.record({
              add: fc.constantFrom(...containers),
              key: hostileString,
              value: fc.oneof(weighted(3, hostileValue), weighted(1, deepNesting)),
            }),
          },
        ]
      : []),
  );
}

const INVALID_JSON = [
  '',
  '{',
  '{"a":',
  'nul',
  "{'a':1}",
  '{"a":1}}',
  '\ufeff{}',
  '[1,]',
  'NaN',
  '{"a":NaN}',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":1}}',
  '"\\ud800"',
  ' ',
];

/** A body that is not the route's JSON at all. */
const otherBody: fc.Arbitrary<BodySpec> = fc.oneof(
  { weight: 3, arbitrary: hostileValue.map((value): BodySpec => ({ kind: 'json', value })) },
  {
    weight: 2,
    arbitrary: fc.oneof(fc.constantFrom(...INVALID_JSON), fc.string({ unit: hostileChar, maxLength: 40 })).map((text): BodySpec => ({ kind: 'text', text })),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
        // Valid JSON around bytes that are not UTF-8.
        fc
          .array(fc.constantFrom(0xff, 0xfe, 0xc0, 0xc3, 0xed, 0xa0, 0x80, 0xe2, 0x82), { minLength: 1, maxLength: 4 })
          .map((bad) => [...Buffer.from('{"customerId":"'), ...bad, ...Buffer.from('"}')]),
      )
      .map((bytes): BodySpec => ({ kind: 'bytes', bytes })),
  },
  { weight: 1, arbitrary: fc.constant<BodySpec>({ kind: 'huge' }) },
);

const CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'application/json; charset=utf-16le',
  'application/json; charset=latin-9',
  'application/json; charset="UTF-8"',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/problem+json',
  'application/vnd.api+json',
  '*/*',
  'garbage',
  ';;;',
];
const ENCODINGS: Encoding[] = ['identity', 'gzip', 'deflate', 'br', 'not-gzip', 'not-deflate', 'not-br', 'zstd', 'gzip, gzip', 'x-nope'];

/** Characters Node lets a header value carry: tab, visible ASCII and space, Latin-1. */
const headerValue = fc.string({
  unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)),
  maxLength: 300,
});

// ---- paths ------------------------------------------------------------------------

/** Percent-encodes each UTF-16 code unit's UTF-8 form, a lone surrogate as the three bytes it would take (not UTF-8: CESU-8). */
function encodeSegment(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    const hex = (byte: number) => `%${byte.toString(16).toUpperCase()}`;
    if (code >= 0xd800 && code <= 0xdfff) out += hex(0xe0 | (code >> 12)) + hex(0x80 | ((code >> 6) & 0x3f)) + hex(0x80 | (code & 0x3f));
    else out += encodeURIComponent(ch);
  }
  return out;
}

/** Segments sent as they are: what an encoder would never produce. */
const RAW_SEGMENTS = [
  '',
  '.',
  '..',
  '%',
  '%zz',
  '%00',
  '%2F',
  '%2e%2e',
  '%C0%AE',
  '%ED%A0%80',
  '%FF',
  ';x=1',
  '~',
  '*',
  "'",
  '!',
  '$',
  '(',
  ')',
  '@',
  ':',
  ',',
  'a%2Fb',
  '%252F',
];

// ---- one operation ------------------------------------------------------------------

export type OperationRef = { method: string; path: string; operation: Operation; name: string };

export function operationsOf(doc: OpenApiDocument): OperationRef[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation, name: `${method.toUpperCase()} ${path}` })),
  );
}

/** What is wrong with a request the route would take; a request gets one to three. */
export type Fault =
  | { path: string; segment: string }
  | { query: string; value: string }
  | { repeat: string }
  | { header: string; value: string }
  | { field: Mutation }
  | { body: BodySpec }
  | { contentType: string | undefined }
  | { encoding: Encoding }
  | { signature: Signature }
  | { auth: Auth }
  | { origin: string };

function faults(
  doc: OpenApiDocument,
  ref: OperationRef,
  o: { base: unknown; documentedBody: boolean; signatureHeader: string | undefined; admin: boolean; goodValue: (param: string) => string },
): fc.Arbitrary<Fault[]> {
  const params = ref.operation.parameters ?? [];
  const named = (where: Parameter['in']) => params.filter((p) => p.in === where).map((p) => p.name);
  const schemaOf = (name: string) => resolve(doc, params.find((p) => p.name === name)?.schema);
  // A parameter that is a number, or digits, gets numbers that are not one as often as any other text.
  const numeric = (schema: JsonSchema) => schema.type === 'integer' || schema.type === 'number' || /\\d/.test(schema.pattern ?? '');
  const hostileText = (schema: JsonSchema) => (numeric(schema) ? fc.oneof(hostileDigits, hostileString) : hostileString);
  const queryValue = (name: string): fc.Arbitrary<string> => {
    const schema = schemaOf(name);
    const good = schema.enum?.map(String) ?? (schema.type === 'integer' ? ['1', '20', '100'] : [String(validValue(doc, schema))]);
    const value = fc.oneof(weighted(1, fc.constantFrom(...good)), weighted(1, fc.constantFrom(...good).chain(spoiled)), weighted(3, hostileText(schema)));
    return value.map(encodeSegment);
  };
  const segment = (name: string): fc.Arbitrary<string> =>
    fc.oneof(
      weighted(1, spoiled(o.goodValue(name)).map(encodeSegment)),
      weighted(3, hostileText(schemaOf(name)).map(encodeSegment)),
      weighted(1, fc.constantFrom(...RAW_SEGMENTS)),
    );
  const field = o.documentedBody ? mutation(o.base) : undefined;
  const pathNames = named('path');
  const queryNames = named('query');
  // The signature is the `signature` fault's, never a plain header.
  const headerNames = named('header').filter((n) => n.toLowerCase() !== o.signatureHeader);
  const fault: fc.Arbitrary<Fault> = fc.oneof(
    ...(pathNames.length
      ? [
          weighted(
            4,
            fc.constantFrom(...pathNames).chain((path) => fc.record({ path: fc.constant(path), segment: segment(path) })),
          ),
        ]
      : []),
    ...(queryNames.length
      ? [
          weighted(
            4,
            fc.constantFrom(...queryNames).chain((query) => fc.record({ query: fc.constant(query), value: queryValue(query) })),
          ),
        ]
      : []),
    weighted(1, fc.record({ query: hostileString.map(encodeSegment), value: hostileString.map(encodeSegment) })),
    weighted(1, fc.record({ repeat: fc.constantFrom(...(queryNames.length ? queryNames : ['x'])) })),
    ...(headerNames.length ? [weighted(2, fc.record({ header: fc.constantFrom(...headerNames), value: headerValue }))] : []),
    ...(field ? [weighted(10, fc.record({ field }))] : []),
    weighted(o.documentedBody ? 3 : 1, fc.record({ body: otherBody })),
    weighted(o.documentedBody ? 2 : 1, fc.record({ contentType: fc.constantFrom(undefined, ...CONTENT_TYPES) })),
    weighted(o.documentedBody ? 2 : 1, fc.record({ encoding: fc.constantFrom(...ENCODINGS) })),
    ...(o.signatureHeader ? [weighted(1, fc.record({ signature: fc.constantFrom<Signature>('stale', 'malformed', 'none') }))] : []),
    weighted(o.admin ? 2 : 1, fc.record({ auth: fc.constantFrom<Auth>('basic', 'wrong-token', 'malformed', 'none', 'bearer') })),
    ...(o.admin && ref.method !== 'GET' ? [weighted(1, fc.record({ origin: fc.constantFrom('http://evil.example', 'null', '%') }))] : []),
  );
  return fc.array(fault, { minLength: 1, maxLength: 3 });
}

export function hostileRequest(doc: OpenApiDocument, ref: OperationRef, fixtures: Fixtures): fc.Arbitrary<HostileRequest> {
  const params = ref.operation.parameters ?? [];
  const signatureHeader = params.find((p) => p.in === 'header' && p.name.toLowerCase() === fixtures.signature?.header.toLowerCase())?.name.toLowerCase();
  const signed = signatureHeader !== undefined;
  const admin = Boolean(ref.operation.security?.length);
  const media = ref.operation.requestBody?.content['application/json'];
  const base = fixtures.bodies[ref.name]?.() ?? media?.example ?? Object.values(media?.examples ?? {})[0]?.value ?? validValue(doc, media?.schema);
  const goodValue = (name: string) => fixtures.pathValues[name] ?? String(validValue(doc, params.find((p) => p.name === name)?.schema));

  return faults(doc, ref, { base, documentedBody: Boolean(media), signatureHeader, admin, goodValue }).map((list): HostileRequest => {
    const segments: Record<string, string> = {};
    const query: [string, string][] = [];
    const headers: Record<string, string> = { ...fixtures.headers?.[ref.name]?.() };
    let auth: Auth = admin ? 'bearer' : 'none';
    let body: HostileRequest['body'] = media
      ? { spec: { kind: 'json', value: base }, contentType: 'application/json', encoding: undefined, signature: signed ? 'valid' : 'none' }
      : undefined;
    const withBody = () => (body ??= { spec: { kind: 'json', value: {} }, contentType: 'application/json', encoding: undefined, signature: 'none' });
    for (const f of list) {
      if ('path' in f) segments[f.path] = f.segment;
      else if ('query' in f) query.push([f.query, f.value]);
      else if ('repeat' in f) query.push([f.repeat, '1'], [f.repeat, '2']);
      else if ('header' in f) headers[f.header] = f.value;
      else if ('field' in f) {
        const b = withBody();
        if (b.spec.kind === 'json') b.spec = { kind: 'json', value: mutate(b.spec.value, [f.field]) };
      } else if ('body' in f) withBody().spec = f.body;
      else if ('contentType' in f) withBody().contentType = f.contentType;
      else if ('encoding' in f) withBody().encoding = f.encoding;
      else if ('signature' in f) withBody().signature = f.signature;
      else if ('auth' in f) auth = f.auth;
      else headers.origin = f.origin;
    }
    const pathname = ref.path.replace(/\{([^}]+)\}/g, (_m, name: string) => segments[name] ?? encodeSegment(goodValue(name)));
    const search = query.map(([k, v]) => `${k}=${v}`).join('&');
    return {
      operation: ref.name,
      method: ref.method,
      target: search ? `${pathname}?${search}` : pathname,
      headers,
      auth,
      ...(body ? { body } : {}),
      faults: list,
    };
  });
}

// ---- on the wire ----------------------------------------------------------------------

const HUGE = `{"customerId":"${'x'.repeat(2 * 1024 * 1024)}"}`;

function bytesOf(spec: BodySpec): Buffer {
  switch (spec.kind) {
    case 'json':
      return Buffer.from(jsonText(spec.value), 'utf8');
    case 'text':
      return Buffer.from(spec.text, 'utf8');
    case 'bytes':
      return Buffer.from(spec.bytes);
    case 'huge':
      return Buffer.from(HUGE, 'utf8');
  }
}

function encode(bytes: Buffer, encoding: Encoding): { header: string; bytes: Buffer } {
  switch (encoding) {
    case 'gzip':
      return { header: 'gzip', bytes: gzipSync(bytes) };
    case 'deflate':
      return { header: 'deflate', bytes: deflateSync(bytes) };
    case 'br':
      return { header: 'br', bytes: brotliCompressSync(bytes) };
    case 'not-gzip':
      return { header: 'gzip', bytes };
    case 'not-deflate':
      return { header: 'deflate', bytes };
    case 'not-br':
      return { header: 'br', bytes };
    default:
      return { header: encoding, bytes };
  }
}

/** Headers and bytes of the request; the signature (when asked for) covers the bytes before their Content-Encoding. */
export function materialize(request: HostileRequest, fixtures: Fixtures): { headers: Record<string, string>; body?: Buffer } {
  const headers: Record<string, string> = { ...request.headers };
  const token = request.auth === 'wrong-token' ? 'not-the-token' : (fixtures.credentialFor?.[request.operation] ?? fixtures.credential);
  if (request.auth === 'bearer' || request.auth === 'wrong-token') headers.authorization = `Bearer ${token}`;
  if (request.auth === 'basic') headers.authorization = `Basic ${Buffer.from(`ops:${token}`).toString('base64')}`;
  if (request.auth === 'malformed') headers.authorization = 'Bearer';
  if (!request.body) return { headers };
  const { spec, contentType, encoding, signature } = request.body;
  const plain = bytesOf(spec);
  if (contentType !== undefined) headers['content-type'] = contentType;
  if (fixtures.signature && signature !== 'none') {
    const now = fixtures.signature.sign(plain);
    headers[fixtures.signature.header] = signature === 'valid' ? now : signature === 'stale' ? now.replace(/^t=\d+/, 't=1') : 't=x,v1=nothex';
  }
  if (encoding === undefined) return { headers, body: plain };
  const encoded = encode(plain, encoding);
  headers['content-encoding'] = encoded.header;
  return { headers, body: encoded.bytes };
}
