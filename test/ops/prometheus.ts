// A strict reader of the Prometheus text exposition format (0.0.4), enough to
// check what a scraper would see: every sample belongs to a family declared with
// # TYPE, label values are unescaped, a malformed line is an error (so a broken
// exposition fails the test instead of being skipped over).

export type Sample = { name: string; labels: Record<string, string>; value: number };
export type Exposition = { types: Map<string, string>; samples: Sample[] };

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
  counter: [''],
  gauge: [''],
  untyped: [''],
};

function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i))?.[0];
    if (!name || text[i + name.length] !== '=' || text[i + name.length + 1] !== '"') throw new Error(`bad label in: ${line}`);
    i += name.length + 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      i++;
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i++];
        value += e === 'n' ? '\n' : e === '\\' ? '\\' : e === '"' ? '"' : `\\${e}`;
      } else value += c;
    }
    if (name in labels) throw new Error(`duplicate label ${name} in: ${line}`);
    labels[name] = value;
    if (text[i] === ',') i++;
  }
}

function parseValue(text: string, line: string): number {
  const [value] = text.trim().split(/\s+/); // an optional timestamp may follow
  if (value === undefined || value === '') throw new Error(`no value in: ${line}`);
  // Prometheus reads these case-insensitively (Go's ParseFloat); prom-client writes "Nan".
  if (/^\+?inf$/i.test(value)) return Infinity;
  if (/^-inf$/i.test(value)) return -Infinity;
  if (/^nan$/i.test(value)) return NaN;
  const n = Number(value);
  if (Number.isNaN(n)) throw new Error(`bad value ${value} in: ${line}`);
  return n;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (type) {
        if (types.has(type[1] as string)) throw new Error(`family ${type[1]} declared twice`);
        types.set(type[1] as string, type[2] as string);
      } else if (!/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) throw new Error(`bad comment line: ${line}`);
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`bad sample line: ${line}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    if (!rest.startsWith(' ')) throw new Error(`no space before the value in: ${line}`);
    const family = [...types.entries()].find(([f, t]) => (SUFFIXES[t] ?? ['']).some((s) => f + s === name));
    if (!family) throw new Error(`sample ${name} belongs to no declared family`);
    samples.push({ name, labels, value: parseValue(rest, line) });
  }
  return { types, samples };
}

const matches = (s: Sample, name: string, labels: Record<string, string>) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);

/** The one sample with this name and (at least) these labels; throws when there is none or several. */
export function value(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = e.samples.filter((s) => matches(s, name, labels));
  if (found.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`);
  return (found[0] as Sample).value;
}

/** Sum over every sample with this name and these labels (0 when none). */
export function total(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  return e.samples.filter((s) => matches(s, name, labels)).reduce((n, s) => n + s.value, 0);
}

export function series(e: Exposition, name: string): Record<string, string>[] {
  return e.samples.filter((s) => s.name === name).map((s) => s.labels);
}

export async function scrape(url: string, headers: Record<string, string> = {}): Promise<Exposition> {
  const res = await fetch(`${url}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
  const type = res.headers.get('content-type') ?? '';
  if (!/^text\/plain; version=0\.0\.4/.test(type)) throw new Error(`GET /metrics answered content type ${type}`);
  return parseExposition(await res.text());
}
