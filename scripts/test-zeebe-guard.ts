// Before `npm run test:zeebe`: is the compose stack's `workers` service running on
// the cluster the tests use? It serves the same job types as the saga scenarios
// (they deploy `order-fulfillment` with its real types), so it would take about half
// of their jobs and run them against its own database: the scenarios would fail in
// ways that say nothing about the adapter. Refusing is the safe answer.
//
// How it is detected, and why this way: the running containers of a Compose service
// named `workers` made from this repository's image (`docker ps`, or `podman ps`, by
// Compose's service label and the image docker-compose.yml names). The cluster itself
// cannot tell: 8.8 lists no connected workers, and its job search shows a worker's
// name only once it has taken a job, so an idle workers service is invisible there.
// Those workers talk to the compose file's own cluster, published on 127.0.0.1 only,
// so they can meet the tests only when ZEEBE_REST_ADDRESS is a loopback address; for
// any other cluster (SaaS, another machine) nothing is checked.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export type CommandResult = { status: number | null; stdout: string; stderr: string; error?: Error };
export type RunCommand = (cmd: string, args: string[]) => CommandResult;

export type GuardVerdict =
  /** The stack's workers run against this cluster: refuse, with this message. */
  | { kind: 'refuse'; containers: string[]; message: string }
  /** Nothing found, or the cluster is not the compose file's; `note` says what was (not) checked. */
  | { kind: 'go'; note: string };

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The image docker-compose.yml builds for its `workers` service (order-saga:local). */
export function workersImage(composeFile = path.join(ROOT, 'docker-compose.yml')): string {
  const compose = parse(readFileSync(composeFile, 'utf8'), { merge: true }) as { services?: Record<string, { image?: string }> };
  const image = compose.services?.workers?.image;
  if (!image) throw new Error(`${composeFile} names no image for its workers service`);
  return image;
}

const isLoopback = (host: string) => /^(localhost|127(\.\d{1,3}){3}|\[::1\]|::1)$/i.test(host);

/** Podman prefixes local images with localhost/, Docker Hub names may carry docker.io/library/. */
const sameImage = (shown: string, image: string) => shown.replace(/^(localhost|docker\.io(\/library)?)\//, '') === image;

const runReal: RunCommand = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(r.error ? { error: r.error } : {}) };
};

export function checkStackWorkers(restAddress: string, run: RunCommand = runReal, image = workersImage()): GuardVerdict {
  let host: string;
  try {
    host = new URL(restAddress).hostname;
  } catch {
    return { kind: 'go', note: `${restAddress} is not a URL: not checked` };
  }
  if (!isLoopback(host))
    return { kind: 'go', note: `${host} is not this machine's loopback: the compose stack's workers cannot be on that cluster, not checked` };
  const tried: string[] = [];
  for (const cli of ['docker', 'podman']) {
    const r = run(cli, ['ps', '--filter', 'label=com.docker.compose.service=workers', '--filter', 'status=running', '--format', '{{.Names}}\t{{.Image}}']);
    if (r.error) {
      tried.push(`${cli}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not on PATH' : r.error.message}`);
      continue;
    }
    if (r.status !== 0) {
      tried.push(`${cli} ps failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
      continue;
    }
    const containers = r.stdout
      .split('\n')
      .map((line) => line.trim().split('\t'))
      .filter(([name, shown]) => name && shown && sameImage(shown, image))
      .map(([name]) => name!);
    if (containers.length === 0) return { kind: 'go', note: `no running workers container of ${image} (${cli} ps)` };
    return {
      kind: 'refuse',
      containers,
      message:
        `refusing to run: the compose stack's workers service is running (${containers.join(', ')}, ${cli} ps). ` +
        `It polls the same job types the saga scenarios deploy, on the cluster at ${restAddress}, and would take about half of their jobs against its own database. ` +
        `Stop it first with \`docker compose stop workers\` (\`docker compose start workers\` brings it back afterwards), ` +
        'or run only Camunda for the tests: `docker compose up -d orchestration`.',
    };
  }
  return { kind: 'go', note: `could not look for the compose stack's workers (${tried.join('; ')}); if they run on this cluster, stop them first` };
}
