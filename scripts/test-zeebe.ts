// `npm run test:zeebe`: the engine conformance suite and the saga scenarios on the
// Camunda 8 cluster named by ZEEBE_REST_ADDRESS (plus the usual CAMUNDA_* auth
// variables). Without a cluster it says so and exits 0: a Zeebe broker needs Java
// or Docker, which the machines this project is built on do not have.
// Refuses to run (exit 2; a failed leg under `npm test`) while the compose stack's
// workers service polls the same job types on that cluster (test-zeebe-guard.ts).
// Also called by `npm test` as its last leg. Its report is `jest-zeebe.json` in
// test-artifacts/ (or TEST_ARTIFACTS_DIR); a Jest that exits non-zero or writes no
// report fails the leg, whatever an earlier run left there.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { artifactsDir, runJest } from './jest-leg.js';
import { checkStackWorkers } from './test-zeebe-guard.js';
import { failedPart, judgeJestLeg, legLine, skippedPart, type Outcome } from './test-verdict.js';

// Engine-neutral saga scenarios; the crash and recovery tests drive the embedded engine's own processes.
const SUITES = [
  'test/engine/conformance',
  'test/saga/outcomes.test.ts',
  'test/saga/cancellation.test.ts',
  'test/saga/webhooks.test.ts',
  'test/saga/payment-races.test.ts',
];

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

/** The leg's outcome; skipped (see NO_CLUSTER) only when no cluster is named at all; `refused` when other workers would take the tests' jobs. */
export async function runZeebeLeg(extraArgs: string[] = []): Promise<Outcome & { refused?: true }> {
  if (!process.env.ZEEBE_REST_ADDRESS) {
    if (!process.env.ZEEBE_GRPC_ADDRESS) return skippedPart('zeebe', 'ZEEBE_REST_ADDRESS not set');
    // A cluster was meant, but named in a way this service cannot use: say so, and fail.
    console.log('ZEEBE_GRPC_ADDRESS is set, but order-saga talks to Camunda 8 over its REST API: set ZEEBE_REST_ADDRESS too (e.g. http://localhost:8080).');
    return failedPart('zeebe', 'ZEEBE_GRPC_ADDRESS set without ZEEBE_REST_ADDRESS');
  }
  const guard = checkStackWorkers(process.env.ZEEBE_REST_ADDRESS);
  if (guard.kind === 'refuse') {
    console.log(`Camunda 8 tests: ${guard.message}`);
    return { ...failedPart('zeebe', "refused: the compose stack's workers service is running"), refused: true };
  }
  console.log(`Camunda 8 tests: ${guard.note}`);
  const problem = await reachable().catch((err: unknown) => (err as Error).message);
  if (problem) {
    console.log(`Camunda 8 cluster unusable: ${problem}`);
    return failedPart('zeebe', 'Camunda 8 cluster unusable');
  }
  console.log(`\n=== tests on Camunda 8 at ${process.env.ZEEBE_REST_ADDRESS} ===`);
  // One file at a time: the saga scenarios serve the model's job types, and two
  // systems on one cluster would take each other's jobs.
  const { exitCode, report } = await runJest(path.join(artifactsDir(), 'jest-zeebe.json'), ['--runInBand', ...SUITES, ...extraArgs], {
    ENGINE_UNDER_TEST: 'zeebe',
  });
  return judgeJestLeg('zeebe', exitCode, report);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await runZeebeLeg(process.argv.slice(2));
  if (result.status === 'skipped') {
    console.log(`Zeebe tests SKIPPED: ${NO_CLUSTER}`);
    process.exit(0);
  }
  console.log(`\n${legLine(result)}`);
  process.exit(result.refused ? 2 : result.failed > 0 ? 1 : 0);
}
