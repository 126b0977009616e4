// `npm test`'s runner (scripts/test.ts), run for real: lint skipped, Jest pointed at the
// tiny suite in fixtures/ (never the project's own, which this file is part of), and
// reports written to a temporary directory, so a real `npm test` in progress keeps its own.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const FIXTURES = ['--config=test/runner/fixtures/jest.config.json'];
let reports: string;

beforeEach(async () => {
  reports = await mkdtemp(path.join(os.tmpdir(), 'runner-test-'));
});
afterEach(async () => {
  await rm(reports, { recursive: true, force: true });
});

/** Runs `npm test`'s script with these Jest arguments; returns its exit code and last stdout lines. */
function runner(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ exitCode: number | null; lines: string[]; output: string }> {
  const base: NodeJS.ProcessEnv = { ...process.env, TEST_RUNNER_SKIP_LINT: '1', TEST_ARTIFACTS_DIR: reports };
  // Whatever the outer run has configured (CI, PostgreSQL, a cluster) must not leak into the run under test.
  for (const name of ['CI', 'TEST_DATABASE_URL', 'ZEEBE_REST_ADDRESS', 'ZEEBE_GRPC_ADDRESS']) delete base[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/test.ts', ...args], { env: { ...base, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, lines: stdout.trimEnd().split('\n'), output: `${stdout}\n${stderr}` }));
  });
}

/** An earlier run's passing report where this run's PGlite leg writes its own. */
async function plantPassingReport(): Promise<string> {
  const file = path.join(reports, 'jest-pglite.json');
  await writeFile(
    file,
    JSON.stringify({
      numPassedTests: 500,
      numFailedTests: 0,
      numPendingTests: 0,
      numTotalTestSuites: 40,
      numFailedTestSuites: 0,
      numRuntimeErrorTestSuites: 0,
      success: true,
    }),
  );
  return file;
}

test('a leg whose Jest exits 1 without writing a report fails the run and counts as a failure, even with an earlier passing report on disk', async () => {
  const stale = await plantPassingReport();

  // A config file that does not exist: Jest stops before running anything or writing a report.
  const run = await runner(['--config=test/runner/fixtures/no-such-config.json']);

  expect(run.exitCode).toBe(1);
  expect(run.lines.slice(-2)).toEqual(['failures besides tests: pglite (Jest exited 1 without writing a report)', 'tests: 0 passed, 1 failed, 0 skipped']);
  expect(run.output).not.toContain('500 passed');
  expect(existsSync(stale)).toBe(false);
});

test('a test file that fails to load counts as a failure in the closing line and fails the run', async () => {
  const run = await runner(FIXTURES);

  expect(run.exitCode).toBe(1);
  expect(run.output).toContain('Test suite failed to run'); // Jest's own account of fails-to-load.fixture.ts
  expect(run.lines.slice(-2)).toEqual(['failures besides tests: pglite (1 test file failed to run)', 'tests: 1 passed, 1 failed, 0 skipped']);
});

test('a leg in which Jest finds no tests fails the run and counts as a failure, even with an earlier passing report on disk', async () => {
  await plantPassingReport();

  const run = await runner([...FIXTURES, 'no-such-fixture']);

  expect(run.exitCode).toBe(1);
  // Jest exits 1 while it writes an all-zero report, so the report may or may not be there: either way it is one failure.
  expect(run.lines.at(-2)).toMatch(/^failures besides tests: pglite \((Jest found no tests and exited 1|Jest exited 1 without writing a report)\)$/);
  expect(run.lines.at(-1)).toBe('tests: 0 passed, 1 failed, 0 skipped');
});

test('under CI, a run without TEST_DATABASE_URL counts the missing PostgreSQL leg as a failure, though every test passed', async () => {
  const run = await runner([...FIXTURES, 'passes'], { CI: 'true' });

  expect(run.exitCode).toBe(1);
  expect(run.lines.slice(-2)).toEqual(['failures besides tests: postgres (TEST_DATABASE_URL not set under CI)', 'tests: 1 passed, 1 failed, 0 skipped']);
});

test('a run whose tests all pass exits 0 and names the legs it skipped just before the closing line', async () => {
  const run = await runner([...FIXTURES, 'passes']);

  expect(run.exitCode).toBe(0);
  expect(run.lines.slice(-2)).toEqual([
    'skipped legs: lint (TEST_RUNNER_SKIP_LINT=1), postgres (TEST_DATABASE_URL not set), crash-load-pglite (test arguments given), zeebe (ZEEBE_REST_ADDRESS not set)',
    'tests: 1 passed, 0 failed, 0 skipped',
  ]);
});
