// The Dockerfile as the image it builds: what the runtime stage copies must be all
// the service loads at run time (its import graph, the models, the migrations), every
// package that code imports must be a production dependency (the image installs
// with --omit=dev), and the process runs as a non-root user that gets SIGTERM.
// No Docker engine here: the file is read, not built.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { ROOT, readDockerfile, splitFlags, type Stage } from './support.js';

const { stages } = readDockerfile();
const runtime = stages[stages.length - 1]!;
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
type LockEntry = { dev?: boolean; devOptional?: boolean };
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
/** Installed at the top of node_modules by `npm ci --omit=dev` (so /app code resolves it). */
function inProductionInstall(name: string): boolean {
  const entry = lock.packages[`node_modules/${name}`];
  return entry !== undefined && !entry.dev && !entry.devOptional;
}

function all(stage: Stage, keyword: string) {
  return stage.instructions.filter((i) => i.keyword === keyword);
}
function last(stage: Stage, keyword: string) {
  return all(stage, keyword).at(-1);
}
function jsonArray(args: string): string[] {
  const value = JSON.parse(args) as unknown;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`not an exec-form array: ${args}`);
  return value;
}

/** The runtime CMD (exec form), with the healthcheck's and its own commands. */
const cmd = jsonArray(last(runtime, 'CMD')!.args);
const entry = cmd.find((a) => a.endsWith('.ts'))!;

// --- the import graph of what the image runs ------------------------------------
const BUILTINS = new Set(builtinModules);
const IMPORT_PATTERNS = [
  /^\s*import\s+(?!type\b)[^'"]*?\sfrom\s+['"]([^'"]+)['"]/gm, // import x from '...'
  /^\s*import\s+['"]([^'"]+)['"]/gm, // import '...'
  /^\s*export\s+(?!type\b)[^'"]*?\sfrom\s+['"]([^'"]+)['"]/gm, // export { x } from '...'
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, // import('...')
  /createRequire\([^)]*\)\(\s*['"]([^'"]+)['"]/g, // createRequire(import.meta.url)('...')
];

function resolveRelative(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, path.join(base, 'index.ts')];
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  if (!found) throw new Error(`${path.relative(ROOT, from)} imports ${spec}, which does not resolve`);
  return found;
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Files (relative to the repository) and bare packages reachable from the entry files. */
function importGraph(entries: string[]): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>(); // package → first importing file
  const queue = entries.map((e) => path.join(ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    const rel = path.relative(ROOT, file);
    if (files.has(rel)) continue;
    files.add(rel);
    if (!file.endsWith('.ts')) continue;
    const source = readFileSync(file, 'utf8');
    for (const pattern of IMPORT_PATTERNS) {
      for (const m of source.matchAll(pattern)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) queue.push(resolveRelative(file, spec));
        else if (!spec.startsWith('node:') && !BUILTINS.has(spec)) {
          const name = packageName(spec);
          if (!packages.has(name)) packages.set(name, rel);
        }
      }
    }
  }
  return { files, packages };
}

// Entry points in the image: the CMD, `npm run deploy`, `npm run keys`, `npm run token` and `npm run db:migrate` (prisma.config.ts).
const graph = importGraph([entry, 'app/deploy-cli.ts', 'app/keys-cli.ts', 'app/token-cli.ts', 'prisma.config.ts']);
// Data files read at run time: the process models and the migrations.
const dataFiles = [
  ...readdirSync(path.join(ROOT, 'bpmn'))
    .filter((f) => f.endsWith('.bpmn'))
    .map((f) => `bpmn/${f}`),
  ...readdirSync(path.join(ROOT, 'prisma/migrations')).map((f) => `prisma/migrations/${f}`),
  'package.json', // "type": "module"
];

// --- what the runtime stage puts into /app -------------------------------------------
const workdir = last(runtime, 'WORKDIR')!.args;

/** Paths under WORKDIR that the runtime stage's COPY instructions fill, and from where. */
function imageContents(): { path: string; dir: boolean; from?: string }[] {
  const out: { path: string; dir: boolean; from?: string }[] = [];
  for (const ins of all(runtime, 'COPY')) {
    const { flags, rest } = splitFlags(ins.args);
    const words = rest.split(' ');
    const dest = path.posix.normalize(path.posix.resolve(workdir, words.pop()!));
    for (const src of words) {
      const isDir = flags.from ? !path.posix.extname(src) : statSync(path.join(ROOT, src)).isDirectory();
      const target = isDir ? dest : words.length > 1 || rest.endsWith('/') ? path.posix.join(dest, path.posix.basename(src)) : dest;
      out.push({ path: path.posix.relative(workdir, target), dir: isDir, ...(flags.from ? { from: flags.from } : { from: undefined }) });
    }
  }
  return out;
}
const contents = imageContents();

/** .dockerignore patterns (plain paths, `**\/name` and `*` globs), as far as used here. */
const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((p) => {
    const anywhere = p.startsWith('**/');
    const glob = (anywhere ? p.slice(3) : p).replace(/\/$/, '');
    const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/|$)`);
    return (rel: string) => (anywhere ? rel.split('/').some((_, i, parts) => re.test(parts.slice(i).join('/'))) : re.test(rel));
  });
const isIgnored = (rel: string) => ignored.some((match) => match(rel));

function inImage(rel: string): boolean {
  return contents.some((c) => {
    const covers = c.dir ? rel === c.path || rel.startsWith(`${c.path}/`) || c.path === '' : rel === c.path;
    // A file from the build context must not be left out of the context by .dockerignore.
    return covers && (c.from !== undefined || !isIgnored(rel));
  });
}

describe('Dockerfile: the image has what the service runs', () => {
  test('the import graph is found (the test reads real imports)', () => {
    expect(graph.files.has('app/start.ts')).toBe(true);
    expect(graph.files.has('prisma/generated/client.ts')).toBe(true);
    expect(graph.packages.has('express')).toBe(true);
  });

  test('every source file the service loads is copied into the runtime stage', () => {
    const missing = [...graph.files, ...dataFiles].filter((f) => !inImage(f));
    expect(missing).toEqual([]);
  });

  test('the generated Prisma client comes from the deps stage, not from the developer’s tree', () => {
    expect(contents.find((c) => c.path === 'prisma/generated')?.from).toBe('deps');
    expect(isIgnored('prisma/generated/client.ts')).toBe(true);
  });

  test('every package the running code imports is in the production install (the image has no dev dependencies)', () => {
    const deps = all(
      stages.find((s) => s.name === 'deps')!,
      'RUN',
    )
      .map((r) => r.args)
      .join(' ');
    expect(deps).toMatch(/npm ci\b.*--omit=dev/);
    const missing = [...graph.packages].filter(([name]) => !inProductionInstall(name)).map(([name, by]) => `${name} (imported by ${by})`);
    expect(missing).toEqual([]);
  });

  test('the loaders on the command line are production dependencies too', () => {
    const loaders = cmd.flatMap((a, i) => (a === '--import' || a === '--loader' ? [cmd[i + 1]!] : []));
    expect(loaders).toContain('tsx');
    for (const l of loaders) expect([l, l in pkg.dependencies && inProductionInstall(l)]).toEqual([l, true]);
  });

  test('the build context leaves out local state and other people’s files', () => {
    for (const p of ['node_modules/x', 'api/node_modules/x', '.data/pglite', 'test-artifacts/a.json', '.git/HEAD', 'test/api/orders.test.ts']) {
      expect([p, isIgnored(p)]).toEqual([p, true]);
    }
  });
});

describe('Dockerfile: how the container runs', () => {
  test('multi-stage, every COPY --from names an earlier stage, slim Node 24 base', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const { preamble } = readDockerfile();
    const args = Object.fromEntries(preamble.filter((i) => i.keyword === 'ARG').map((i) => i.args.split('=') as [string, string]));
    for (const [i, stage] of stages.entries()) {
      const image = stage.image.replace(/^\$\{?(\w+)\}?$/, (_, name: string) => args[name] ?? '');
      expect(image).toMatch(/^node:24[.\d]*-(bookworm|bullseye|trixie)-slim$/);
      for (const ins of all(stage, 'COPY')) {
        const from = splitFlags(ins.args).flags.from;
        if (from) expect([ins.line, stages.slice(0, i).map((s) => s.name)]).toEqual([ins.line, expect.arrayContaining([from])]);
      }
    }
  });

  test('runs as a non-root user with NODE_ENV=production', () => {
    const user = last(runtime, 'USER')?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    expect(runtime.instructions.findIndex((i) => i.keyword === 'USER')).toBeLessThan(runtime.instructions.findIndex((i) => i.keyword === 'CMD'));
    expect(
      all(runtime, 'ENV')
        .map((e) => e.args)
        .join(' '),
    ).toMatch(/\bNODE_ENV=production\b/);
  });

  test('SIGTERM reaches node: STOPSIGNAL SIGTERM and an exec-form CMD without a shell', () => {
    expect(last(runtime, 'STOPSIGNAL')?.args).toBe('SIGTERM');
    expect(all(runtime, 'ENTRYPOINT')).toEqual([]);
    expect(cmd[0]).toBe('node');
    expect(cmd).not.toContain('npm');
    expect(entry).toBe('app/main.ts');
  });

  test('the role is chosen by the ROLE variable, not baked into the command', () => {
    expect(cmd.filter((a) => ['all', 'api', 'workers'].includes(a))).toEqual([]);
  });

  test('the health check needs nothing but node and asks /health on $PORT', () => {
    const hc = last(runtime, 'HEALTHCHECK')!;
    const { rest } = splitFlags(hc.args);
    expect(rest.startsWith('CMD ')).toBe(true);
    const command = jsonArray(rest.slice(4));
    expect(command[0]).toBe('node');
    expect(command.join(' ')).toMatch(/process\.env\.PORT/);
    expect(command.join(' ')).toMatch(/\/health'/);
  });
});
