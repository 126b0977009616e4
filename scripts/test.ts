// `npm test`: lint, then the whole Jest suite on the embedded PGlite, then again on
// the PostgreSQL server named by TEST_DATABASE_URL (a role allowed to CREATE
// DATABASE: every test file gets a database of its own). Ends with one summary line.
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { runZeebeLeg } from './test-zeebe.js';

type JestReport = { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTotalTestSuites: number; numFailedTestSuites: number; numRuntimeErrorTestSuites: number };

const ARTIFACTS = path.resolve('test-artifacts');
const extraArgs = process.argv.slice(2);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function jestLeg(name: string, env: NodeJS.ProcessEnv): Promise<JestReport | undefined> {
  const outputFile = path.join(ARTIFACTS, `jest-${name}.json`);
  console.log(`\n=== tests on ${name} ===`);
  await run(process.execPath, ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--json', `--outputFile=${outputFile}`, ...extraArgs], env);
  try {
    return JSON.parse(await readFile(outputFile, 'utf8')) as JestReport;
  } catch {
    return undefined; // Jest crashed before writing a report: counted as a failure below.
  }
}

await mkdir(ARTIFACTS, { recursive: true });
let failed = false;
let passed = 0;
let failedTests = 0;
let skipped = 0;

console.log('=== lint ===');
if ((await run('npm', ['run', '--silent', 'lint'])) !== 0) {
  console.log('lint: FAILED');
  failed = true;
}

const legs: [string, NodeJS.ProcessEnv][] = [['pglite', { TEST_DATABASE_URL: '' }]];
if (process.env.TEST_DATABASE_URL) legs.push(['postgres', { TEST_DATABASE_URL: process.env.TEST_DATABASE_URL }]);
else if (process.env.CI) {
  console.log('TEST_DATABASE_URL is not set: CI must run the suite on PostgreSQL too.');
  failed = true;
} else {
  console.log('\nPostgreSQL leg SKIPPED: set TEST_DATABASE_URL=postgresql://user:pass@127.0.0.1:5432/postgres to run it.');
}

for (const [name, env] of legs) {
  const report = await jestLeg(name, env);
  if (!report) {
    console.log(`${name}: Jest produced no report`);
    failed = true;
    continue;
  }
  passed += report.numPassedTests;
  failedTests += report.numFailedTests;
  skipped += report.numPendingTests;
  if (report.numFailedTests > 0 || report.numFailedTestSuites > 0 || report.numRuntimeErrorTestSuites > 0) failed = true;
  console.log(`${name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped (${report.numFailedTestSuites} of ${report.numTotalTestSuites} suites failed)`);
}

// Last: the conformance suite and saga scenarios on Camunda 8, when a cluster is configured.
const zeebe = await runZeebeLeg(extraArgs);
if (zeebe.status === 'skipped') console.log(`\nCamunda 8 (Zeebe) leg SKIPPED: ${zeebe.reason}`);
else {
  passed += zeebe.passed;
  failedTests += zeebe.failed;
  skipped += zeebe.skipped;
  if (!zeebe.ok) failed = true;
  console.log(`zeebe: ${zeebe.passed} passed, ${zeebe.failed} failed, ${zeebe.skipped} skipped`);
}

console.log(`\ntests: ${passed} passed, ${failedTests} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
