// `npm test`: the whole Jest suite on the embedded PGlite, then the suite again on the
// PostgreSQL server named by TEST_DATABASE_URL (a role allowed to CREATE DATABASE: every
// test file gets a database of its own), with lint beside the last of the two, then the
// crash-under-load test on both at once (each SIGKILLs its own loaded service ten times;
// nothing else runs beside them), then the Camunda 8 leg. Arguments are passed to every Jest leg; with
// arguments, the crash-under-load legs are skipped (and named so).
//
// The last line is `tests: N passed, N failed, N skipped`, and the exit code is 1
// exactly when "failed" is above 0. Besides failed tests, "failed" counts one for
// each: lint failure, test file that failed to load, leg whose Jest wrote no report
// or exited non-zero with a report showing no failure, PostgreSQL leg missing under
// CI. The lines before it name those failures and the skipped legs (rules: test-verdict.ts).
//
// For the runner's own tests (test/runner/):
//   TEST_RUNNER_SKIP_LINT=1  skip lint (named as skipped)
//   TEST_ARTIFACTS_DIR=dir   write the Jest reports there instead of test-artifacts/
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { artifactsDir, runJest } from './jest-leg.js';
import { NO_CLUSTER, runZeebeLeg } from './test-zeebe.js';
import { cleanPart, failedPart, judgeJestLeg, legLine, skippedPart, summarize, type Outcome } from './test-verdict.js';

const extraArgs = process.argv.slice(2);
const outcomes: Outcome[] = [];

/** Runs `cmd` with its output kept, to be printed when asked (it runs beside a Jest leg). */
function runQuietly(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ code: 1, output: `${output}${err.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), output }));
  });
}

// Lint reads files only: it runs beside the last main Jest leg (PostgreSQL's, when there is
// one: its Jest leaves a quarter of the CPU idle, waiting on the server and on timers, where
// PGlite's keeps both cores busy), and its output is printed after that leg.
let lint: Promise<{ code: number; output: string }> | undefined;
const lintSkipped = process.env.TEST_RUNNER_SKIP_LINT === '1';
if (lintSkipped) outcomes.push(skippedPart('lint', 'TEST_RUNNER_SKIP_LINT=1'));

// The node processes of a leg compile modules once per machine, not once per process (Node's
// compile cache); the services and commands tests start run PGlite's WebAssembly on V8's
// baseline compiler only: its optimizing tier costs about 2.4 s of CPU per database opened,
// more than a process that lives seconds gets back (docs/testing.md). Jest's workers, whose
// in-process systems run for a minute, and the crash-under-load legs keep V8's default.
const fast: NodeJS.ProcessEnv = {
  NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE || path.join(tmpdir(), 'order-saga-compile-cache'),
  TEST_NODE_FLAGS: process.env.TEST_NODE_FLAGS ?? '--liftoff-only',
};
const legs: [string, NodeJS.ProcessEnv][] = [['pglite', { TEST_DATABASE_URL: '' }]];
if (process.env.TEST_DATABASE_URL) legs.push(['postgres', { TEST_DATABASE_URL: process.env.TEST_DATABASE_URL }]);
else if (process.env.CI) {
  console.log('TEST_DATABASE_URL is not set: CI must run the suite on PostgreSQL too.');
  outcomes.push(failedPart('postgres', 'TEST_DATABASE_URL not set under CI'));
} else {
  console.log('\nPostgreSQL leg SKIPPED: set TEST_DATABASE_URL=postgresql://user:pass@127.0.0.1:5432/postgres to run it.');
  outcomes.push(skippedPart('postgres', 'TEST_DATABASE_URL not set'));
}

const CRASH_LOAD = 'test/saga/crash-under-load.test.ts';

for (const [i, [name, env]] of legs.entries()) {
  if (!lintSkipped && i === legs.length - 1) {
    console.log(`=== lint (beside the tests on ${name}; its output follows them) ===`);
    lint = runQuietly('npm', ['run', '--silent', 'lint']);
  }
  console.log(`\n=== tests on ${name} ===`);
  const { exitCode, report } = await runJest(
    path.join(artifactsDir(), `jest-${name}.json`),
    [...extraArgs, '--testPathIgnorePatterns=/node_modules/', '--testPathIgnorePatterns=crash-under-load'],
    { ...fast, ...env },
  );
  const outcome = judgeJestLeg(name, exitCode, report);
  console.log(legLine(outcome));
  outcomes.push(outcome);
  if (lint) {
    const { code, output } = await lint;
    lint = undefined;
    console.log(`\n=== lint ===\n${output.trimEnd()}`);
    if (code !== 0) console.log('lint: FAILED');
    // First in the summary, where lint comes in the README's account of `npm test`.
    outcomes.unshift(code === 0 ? cleanPart('lint') : failedPart('lint', `npm run lint exited ${code}`));
  }
}

// The crash-under-load legs run side by side, each with its own service, database and Redis,
// after the main legs (nothing else competes for the machine). Much of their time is waiting
// for payment deadlines, not CPU; each one's output is printed once both are done.
if (extraArgs.length > 0) for (const [name] of legs) outcomes.push(skippedPart(`crash-load-${name}`, 'test arguments given'));
else {
  console.log(`\n=== crash under load on ${legs.map(([name]) => name).join(' and ')}, side by side ===`);
  const runs = legs.map(([name, env]) =>
    runJest(
      path.join(artifactsDir(), `jest-crash-load-${name}.json`),
      ['--runTestsByPath', CRASH_LOAD],
      { NODE_COMPILE_CACHE: fast.NODE_COMPILE_CACHE, TEST_NODE_FLAGS: '', ...env },
      { capture: true },
    ),
  );
  for (const [i, run] of (await Promise.all(runs)).entries()) {
    const leg = `crash-load-${legs[i]![0]}`;
    console.log(`\n=== ${leg} ===\n${run.output.trimEnd()}`);
    const outcome = judgeJestLeg(leg, run.exitCode, run.report);
    console.log(legLine(outcome));
    outcomes.push(outcome);
  }
}

// Last: the conformance suite and saga scenarios on Camunda 8, when a cluster is configured.
const zeebe = await runZeebeLeg(extraArgs);
if (zeebe.status === 'skipped') console.log(`\nCamunda 8 (Zeebe) leg SKIPPED: ${NO_CLUSTER}`);
else console.log(legLine(zeebe));
outcomes.push(zeebe);

const { lines, exitCode } = summarize(outcomes);
console.log(`\n${lines.join('\n')}`);
process.exit(exitCode);
