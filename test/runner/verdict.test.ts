// The rules by which `npm test` counts failures (scripts/test-verdict.ts), for the
// cases the runner tests cannot stage cheaply: a lint failure, failed tests beside a
// non-zero exit, several files failing to load, the Camunda 8 leg misconfigured.
import { jest } from '@jest/globals';
import { runZeebeLeg } from '../../scripts/test-zeebe.js';
import { cleanPart, failedPart, judgeJestLeg, skippedPart, summarize, type JestReport } from '../../scripts/test-verdict.js';

const report = (over: Partial<JestReport> = {}): JestReport => ({
  numPassedTests: 10,
  numFailedTests: 0,
  numPendingTests: 2,
  numTotalTestSuites: 3,
  numFailedTestSuites: 0,
  numRuntimeErrorTestSuites: 0,
  ...over,
});

test('a lint failure counts as a failure in the closing line and fails the run, though every test passed', () => {
  const { lines, exitCode } = summarize([failedPart('lint', 'npm run lint exited 1'), judgeJestLeg('pglite', 0, report())]);

  expect(exitCode).toBe(1);
  expect(lines).toEqual(['failures besides tests: lint (npm run lint exited 1)', 'tests: 10 passed, 1 failed, 2 skipped']);
});

test('every test file that fails to load counts as one failure, on top of the failed tests', () => {
  const { lines } = summarize([judgeJestLeg('pglite', 1, report({ numFailedTests: 2, numFailedTestSuites: 4, numRuntimeErrorTestSuites: 3 }))]);

  expect(lines).toEqual(['failures besides tests: pglite (3 test files failed to run)', 'tests: 10 passed, 5 failed, 2 skipped']);
});

test('failed tests explain a non-zero exit on their own: no extra failure is counted for it', () => {
  expect(summarize([judgeJestLeg('pglite', 1, report({ numFailedTests: 2, numFailedTestSuites: 1 }))]).lines).toEqual([
    'tests: 10 passed, 2 failed, 2 skipped',
  ]);
});

test('a Jest that exits non-zero with a report showing no failure counts as one failure', () => {
  expect(summarize([judgeJestLeg('postgres', 1, report())]).lines).toEqual([
    'failures besides tests: postgres (Jest exited 1, though its report shows no failed test)',
    'tests: 10 passed, 1 failed, 2 skipped',
  ]);
});

test('the exit code is 1 exactly when the closing line counts a failure', () => {
  const parts = [
    cleanPart('lint'),
    failedPart('lint', 'npm run lint exited 2'),
    skippedPart('postgres', 'TEST_DATABASE_URL not set'),
    judgeJestLeg('pglite', 0, report()),
    judgeJestLeg('pglite', 1, report()),
    judgeJestLeg('pglite', 137, undefined),
    judgeJestLeg('pglite', 1, report({ numTotalTestSuites: 0, numPassedTests: 0 })),
    judgeJestLeg('pglite', 0, report({ numFailedTestSuites: 1 })),
  ];
  for (const a of parts) {
    for (const b of parts) {
      const { lines, exitCode } = summarize([a, b]);
      const failed = Number(/(\d+) failed/.exec(lines.at(-1) ?? '')?.[1]);
      expect({ failed: failed > 0, exitCode }).toEqual({ failed: exitCode === 1, exitCode });
    }
  }
});

describe('the Camunda 8 leg', () => {
  const saved = { rest: process.env.ZEEBE_REST_ADDRESS, grpc: process.env.ZEEBE_GRPC_ADDRESS };
  afterEach(() => {
    jest.restoreAllMocks();
    for (const [name, value] of [
      ['ZEEBE_REST_ADDRESS', saved.rest],
      ['ZEEBE_GRPC_ADDRESS', saved.grpc],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  test('is skipped, and named as skipped, when no cluster is configured', async () => {
    delete process.env.ZEEBE_REST_ADDRESS;
    delete process.env.ZEEBE_GRPC_ADDRESS;

    expect(summarize([await runZeebeLeg()]).lines).toEqual(['skipped legs: zeebe (ZEEBE_REST_ADDRESS not set)', 'tests: 0 passed, 0 failed, 0 skipped']);
  });

  test('fails, and counts as a failure, when the cluster is named only by its gRPC address', async () => {
    delete process.env.ZEEBE_REST_ADDRESS;
    process.env.ZEEBE_GRPC_ADDRESS = 'localhost:26500';
    jest.spyOn(console, 'log').mockImplementation(() => undefined); // the leg's own explanation, expected here

    const { lines, exitCode } = summarize([await runZeebeLeg()]);

    expect(exitCode).toBe(1);
    expect(lines).toEqual(['failures besides tests: zeebe (ZEEBE_GRPC_ADDRESS set without ZEEBE_REST_ADDRESS)', 'tests: 0 passed, 1 failed, 0 skipped']);
  });
});
