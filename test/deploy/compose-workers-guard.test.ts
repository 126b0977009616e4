// `npm run test:zeebe` refuses to run while the compose stack's workers service is up
// on the cluster the tests use: it serves the saga's job types and would take about
// half of the tests' jobs against its own database (issue 14). No Docker engine here:
// `docker ps` is faked, first as a function, then as a `docker` command on PATH for
// the real script.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { checkStackWorkers, workersImage, type CommandResult, type RunCommand } from '../../scripts/test-zeebe-guard.js';
import { ROOT, readCompose } from './support.js';

const IMAGE = 'order-saga:local';
const ok = (stdout: string): CommandResult => ({ status: 0, stdout, stderr: '' });
const missing = (): CommandResult => ({ status: null, stdout: '', stderr: '', error: Object.assign(new Error('spawnSync docker ENOENT'), { code: 'ENOENT' }) });

/** A fake `docker`/`podman`: answers per command name, and remembers what it was asked. */
function fakeCli(answers: Record<string, CommandResult>): RunCommand & { calls: string[] } {
  const calls: string[] = [];
  const run = (cmd: string, args: string[]) => (calls.push(`${cmd} ${args.join(' ')}`), answers[cmd] ?? missing());
  return Object.assign(run, { calls });
}

describe("test:zeebe guard: the compose stack's workers service", () => {
  test('the image it looks for is the one docker-compose.yml gives the workers service', () => {
    expect(workersImage()).toBe(readCompose().services.workers!.image);
    expect(workersImage()).toBe(IMAGE);
  });

  test('workers containers of this image running, tests on localhost: refused, naming the containers and how to stop them', () => {
    const cli = fakeCli({ docker: ok(`order-saga-workers-1\t${IMAGE}\norder-saga-workers-2\t${IMAGE}\n`) });
    const verdict = checkStackWorkers('http://localhost:8080', cli, IMAGE);
    expect(verdict.kind).toBe('refuse');
    if (verdict.kind !== 'refuse') return;
    expect(verdict.containers).toEqual(['order-saga-workers-1', 'order-saga-workers-2']);
    expect(verdict.message).toContain('docker compose stop workers');
    // Asked by Compose's service label, running containers only.
    expect(cli.calls[0]).toContain('label=com.docker.compose.service=workers');
    expect(cli.calls[0]).toContain('status=running');
  });

  test('a "workers" service of another project (another image) is not ours: the tests run', () => {
    const verdict = checkStackWorkers('http://127.0.0.1:8080', fakeCli({ docker: ok('shop-workers-1\tshop/worker:2\n') }), IMAGE);
    expect(verdict).toEqual({ kind: 'go', note: expect.stringContaining('no running workers container') });
  });

  test('Podman (local images shown as localhost/…) is asked when docker is missing, and its workers refuse the run too', () => {
    const cli = fakeCli({ podman: ok(`order-saga_workers_1\tlocalhost/${IMAGE}\n`) });
    expect(checkStackWorkers('http://[::1]:8080', cli, IMAGE).kind).toBe('refuse');
    expect(cli.calls.map((c) => c.split(' ')[0])).toEqual(['docker', 'podman']);
  });

  test("a cluster that is not on this machine (SaaS) cannot be the stack's: nothing is asked, the tests run", () => {
    const cli = fakeCli({ docker: ok(`order-saga-workers-1\t${IMAGE}\n`) });
    expect(checkStackWorkers('https://bru-2.zeebe.camunda.io/abc', cli, IMAGE).kind).toBe('go');
    expect(cli.calls).toEqual([]);
  });

  test('no docker or podman that answers: the tests run, and the note says the check could not be made', () => {
    const verdict = checkStackWorkers(
      'http://localhost:8080',
      fakeCli({ docker: { status: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon\n' } }),
      IMAGE,
    );
    expect(verdict).toEqual({ kind: 'go', note: expect.stringMatching(/could not look .*Cannot connect to the Docker daemon.*podman: not on PATH/) });
  });
});

describe("npm run test:zeebe with the stack's workers running", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'test-zeebe-guard-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('exits 2 with the refusal, before any test runs', () => {
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    const docker = path.join(bin, 'docker');
    writeFileSync(docker, `#!/bin/sh\nprintf 'order-saga-workers-1\\t${IMAGE}\\n'\n`);
    chmodSync(docker, 0o755);
    const artifacts = path.join(dir, 'artifacts');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/test-zeebe.ts'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, ZEEBE_REST_ADDRESS: 'http://localhost:8080', TEST_ARTIFACTS_DIR: artifacts },
    });
    expect([run.status, run.stdout]).toEqual([
      2,
      expect.stringContaining("refusing to run: the compose stack's workers service is running (order-saga-workers-1"),
    ]);
    expect(run.stdout).toContain('docker compose stop workers');
    expect(existsSync(path.join(artifacts, 'jest-zeebe.json'))).toBe(false);
  });
});
