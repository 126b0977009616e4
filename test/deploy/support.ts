// Reading the deployment files the way Docker and Compose read them, far enough for
// the tests in this folder: the Dockerfile's stages and instructions, the compose
// file with its anchors merged and its ${VAR:-default} values interpolated; and
// Compose itself, when one is installed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type Instruction = { keyword: string; args: string; line: number };
export type Stage = { image: string; name?: string; instructions: Instruction[] };

/** Instructions in order, continuation lines joined and comments dropped (as Docker does). */
export function parseDockerfile(text: string): { preamble: Instruction[]; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let current: Instruction | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (/^\s*#/.test(line) || (current === undefined && line.trim() === '')) return;
    const continued = /\\\s*$/.test(line);
    const body = continued ? line.replace(/\\\s*$/, '') : line;
    if (current) current.args += ` ${body.trim()}`;
    else {
      const m = /^\s*(\S+)\s*(.*)$/.exec(body);
      if (!m) return;
      current = { keyword: m[1]!.toUpperCase(), args: m[2]!.trim(), line: i + 1 };
    }
    if (!continued) {
      current.args = current.args.replace(/\s+/g, ' ').trim();
      instructions.push(current);
      current = undefined;
    }
  });
  const preamble: Instruction[] = [];
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile:${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ image: m[1]!, ...(m[2] ? { name: m[2] } : {}), instructions: [] });
    } else if (stages.length === 0) preamble.push(ins);
    else stages[stages.length - 1]!.instructions.push(ins);
  }
  return { preamble, stages };
}

export function readDockerfile() {
  return parseDockerfile(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
}

/** `--flag=value` options at the start of an instruction, and the rest. */
export function splitFlags(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args;
  for (;;) {
    const m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest);
    if (!m) break;
    flags[m[1]!] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** The variables a stage's ENV instructions set (KEY=value form, unquoted values). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    for (const pair of ins.args.split(' ')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`ENV ${ins.args}: only KEY=value pairs are read here`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

/**
 * Compose's interpolation of one value: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
 * and the required ${VAR:?message} (unset or empty) and ${VAR?message} (unset), which
 * throw as Compose refuses the file.
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, op, word, bare) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare) as string;
    const v = env[name];
    const unset = op?.startsWith(':') ? v === undefined || v === '' : v === undefined;
    if (unset && (op === ':-' || op === '-')) return word as string;
    if (unset && (op === ':?' || op === '?')) throw new Error(`required variable ${name} is missing a value: ${word as string}`);
    return v ?? '';
  });
}

/** The variables a compose file requires (`${NAME:?message}` or `${NAME?message}`), each once. */
export function requiredVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)].map((m) => m[1]!))];
}

/** Compose v2 (`docker compose`) or v1 (`docker-compose`), whichever is installed first. */
export function composeCommand(): { cmd: string; prefix: string[] } | undefined {
  for (const [cmd, prefix] of [
    ['docker', ['compose']],
    ['docker-compose', []],
  ] as const) {
    const version = spawnSync(cmd, [...prefix, 'version'], { encoding: 'utf8' });
    if (!version.error && version.status === 0) return { cmd, prefix: [...prefix] };
  }
  return undefined;
}

export type ComposeService = {
  image?: string;
  build?: unknown;
  environment?: Record<string, unknown> | string[];
  ports?: (string | number)[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  command?: string | string[];
  stop_grace_period?: string;
  [key: string]: unknown;
};
export type ComposeFile = { services: Record<string, ComposeService>; volumes?: Record<string, unknown> };

export const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');

export function readCompose(file = COMPOSE_FILE): ComposeFile {
  // merge: Compose honours YAML merge keys (<<: *anchor); YAML 1.2 parsers need asking.
  return parse(readFileSync(file, 'utf8'), { merge: true }) as ComposeFile;
}

/**
 * The environment a service's container gets: the image's ENV (for a service built
 * from the Dockerfile), overridden by the compose file's `environment`, interpolated
 * as Compose does with `shellEnv` (default: nothing set, so the file's defaults apply).
 */
export function serviceEnvironment(
  service: ComposeService,
  imageEnv: Record<string, string> = {},
  shellEnv: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = { ...imageEnv };
  const entries: [string, unknown][] = Array.isArray(service.environment)
    ? service.environment.map((e) => {
        const eq = e.indexOf('=');
        return eq < 0 ? [e, shellEnv[e]] : [e.slice(0, eq), e.slice(eq + 1)];
      })
    : Object.entries(service.environment ?? {});
  for (const [key, value] of entries) {
    if (value === undefined || value === null) continue;
    out[key] = interpolate(String(value), shellEnv);
  }
  return out;
}

export function dependsOn(service: ComposeService): Record<string, string> {
  const d = service.depends_on;
  if (!d) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([name, v]) => [name, v?.condition ?? 'service_started']));
}

/** Published ports as { host, hostIp, container } (short syntax: [ip:]host:container[/proto]). */
export function ports(service: ComposeService): { hostIp?: string; host?: number; container: number }[] {
  return (service.ports ?? []).map((p) => {
    const parts = String(p)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const container = Number(parts.pop());
    const host = parts.length > 0 ? Number(parts.pop()) : undefined;
    const hostIp = parts.length > 0 ? parts.join(':') : undefined;
    return { container, ...(host !== undefined ? { host } : {}), ...(hostIp !== undefined ? { hostIp } : {}) };
  });
}

/** Milliseconds of a Compose duration such as 35s, 1m30s, 500ms. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g, (_, n: string, u: string) => {
    total += Number(n) * units[u]!;
    return '';
  });
  if (rest !== '' || text === '') throw new Error(`not a Compose duration: ${text}`);
  return total;
}
