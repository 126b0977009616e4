// `npm run test:zeebe`: the engine conformance suite and the saga scenarios on the
// Camunda 8 cluster named by ZEEBE_REST_ADDRESS (plus the usual CAMUNDA_* auth
// variables). Without a cluster it says so and exits 0: a Zeebe broker needs Java
// or Docker, which the machines this project is built on do not have.
// Also called by `npm test` as its last leg.
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export type LegResult = { status: 'skipped'; reason: string } | { status: 'ran'; passed: number; failed: number; skipped: number; ok: boolean };

// Engine-neutral saga scenarios; the crash and recovery tests drive the embedded engine's own processes.
const SUITES = ['test/engine/conformance', 'test/saga/outcomes.test.ts', 'test/saga/cancellation.test.ts', 'test/saga/webhooks.test.ts'];

export const NO_CLUSTER =
  'no Camunda 8 cluster configured: set ZEEBE_REST_ADDRESS (e.g. http://localhost:8080 after `docker compose up`, or your SaaS cluster with CAMUNDA_AUTH_STRATEGY=OAUTH and its client credentials). ' +
  'A Zeebe broker cannot run on this machine (no Docker engine, no Java).';

async function reachable(): Promise<string | undefined> {
  const { loadConfig } = await import('../infra/config.js');
  const { connectZeebe } = await import('../orchestrator/zeebe/client.js');
  const config = loadConfig({ ...process.env, ENGINE: 'zeebe' }).engine;
  if (config.kind !== 'zeebe') return 'not a Zeebe configuration';
  const connection = connectZeebe(config);
  try {
    await connection.commands.getTopology();
    return undefined;
  } catch (err) {
    return `${config.restAddress} does not answer GET /v2/topology: ${(err as Error).message}`;
  } finally {
    await connection.close();
  }
}

export async function runZeebeLeg(extraArgs: string[] = []): Promise<LegResult> {
  if (!process.env.ZEEBE_REST_ADDRESS) {
    if (!process.env.ZEEBE_GRPC_ADDRESS) return { status: 'skipped', reason: NO_CLUSTER };
    // A cluster was meant, but named in a way this service cannot use: say so, and fail.
    console.log('ZEEBE_GRPC_ADDRESS is set, but order-saga talks to Camunda 8 over its REST API: set ZEEBE_REST_ADDRESS too (e.g. http://localhost:8080).');
    return { status: 'ran', passed: 0, failed: 1, skipped: 0, ok: false };
  }
  const problem = await reachable().catch((err: unknown) => (err as Error).message);
  if (problem) {
    console.log(`Camunda 8 cluster unusable: ${problem}`);
    return { status: 'ran', passed: 0, failed: 1, skipped: 0, ok: false };
  }
  const artifacts = path.resolve('test-artifacts');
  await mkdir(artifacts, { recursive: true });
  const outputFile = path.join(artifacts, 'jest-zeebe.json');
  console.log(`\n=== tests on Camunda 8 at ${process.env.ZEEBE_REST_ADDRESS} ===`);
  // One file at a time: the saga scenarios serve the model's job types, and two
  // systems on one cluster would take each other's jobs.
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--runInBand', '--json', `--outputFile=${outputFile}`, ...SUITES, ...extraArgs], {
      stdio: 'inherit',
      env: { ...process.env, ENGINE_UNDER_TEST: 'zeebe' },
    });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  try {
    const report = JSON.parse(await readFile(outputFile, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numFailedTestSuites: number; numRuntimeErrorTestSuites: number };
    return { status: 'ran', passed: report.numPassedTests, failed: report.numFailedTests, skipped: report.numPendingTests, ok: code === 0 && report.numFailedTestSuites === 0 && report.numRuntimeErrorTestSuites === 0 };
  } catch {
    return { status: 'ran', passed: 0, failed: 1, skipped: 0, ok: false };
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runZeebeLeg(process.argv.slice(2));
  if (result.status === 'skipped') {
    console.log(`Zeebe tests SKIPPED: ${result.reason}`);
    process.exit(0);
  }
  console.log(`\nzeebe: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`);
  process.exit(result.ok ? 0 : 1);
}
