// How `npm test` judges each of its parts and words its closing lines. Pure, so the
// rules can be tested without running anything. One rule holds throughout: a part
// that failed adds at least one to "failed", so the closing line never says
// "0 failed" on a run that exits 1, nor the reverse.

/** The fields `npm test` reads from Jest's `--json` report. */
export type JestReport = {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTotalTestSuites: number;
  numFailedTestSuites: number;
  numRuntimeErrorTestSuites: number;
};

/** What one part of the run (lint, a Jest leg) adds to the closing line. */
export type Outcome =
  | { name: string; status: 'skipped'; reason: string }
  // `problems` name the failures that are not failed tests; each adds one to `failed`.
  | { name: string; status: 'ran'; passed: number; failed: number; skipped: number; problems: string[] };

export const skippedPart = (name: string, reason: string): Outcome => ({ name, status: 'skipped', reason });
export const cleanPart = (name: string): Outcome => ({ name, status: 'ran', passed: 0, failed: 0, skipped: 0, problems: [] });
export const failedPart = (name: string, problem: string): Outcome => ({ name, status: 'ran', passed: 0, failed: 1, skipped: 0, problems: [problem] });

const files = (n: number): string => (n === 1 ? '1 test file' : `${n} test files`);

/** A Jest leg, from its exit code and the report this very run wrote (undefined: none). */
export function judgeJestLeg(name: string, exitCode: number, report: JestReport | undefined): Outcome {
  if (!report) return failedPart(name, `Jest exited ${exitCode} without writing a report`);
  const problems: string[] = [];
  let failed = report.numFailedTests;
  // A file that cannot be imported runs no test at all, so Jest counts no failed test for it.
  if (report.numRuntimeErrorTestSuites > 0) {
    failed += report.numRuntimeErrorTestSuites;
    problems.push(`${files(report.numRuntimeErrorTestSuites)} failed to run`);
  }
  if (failed === 0 && (exitCode !== 0 || report.numFailedTestSuites > 0)) {
    failed = 1;
    problems.push(
      report.numTotalTestSuites === 0 ? `Jest found no tests and exited ${exitCode}` : `Jest exited ${exitCode}, though its report shows no failed test`,
    );
  }
  return { name, status: 'ran', passed: report.numPassedTests, failed, skipped: report.numPendingTests, problems };
}

/** The line printed after a leg has run. */
export function legLine(outcome: Outcome): string {
  if (outcome.status === 'skipped') return `${outcome.name}: SKIPPED (${outcome.reason})`;
  const counts = `${outcome.name}: ${outcome.passed} passed, ${outcome.failed} failed, ${outcome.skipped} skipped`;
  return outcome.problems.length ? `${counts} (${outcome.problems.join('; ')})` : counts;
}

/**
 * The closing lines and the exit code. The last line is always
 * `tests: N passed, N failed, N skipped` (CI parses it); what was skipped, and the
 * failures that are not failed tests, are named on the lines just before it.
 */
export function summarize(outcomes: Outcome[]): { lines: string[]; exitCode: 0 | 1 } {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const skippedParts: string[] = [];
  const problems: string[] = [];
  for (const o of outcomes) {
    if (o.status === 'skipped') {
      skippedParts.push(`${o.name} (${o.reason})`);
      continue;
    }
    passed += o.passed;
    failed += o.failed;
    skipped += o.skipped;
    for (const p of o.problems) problems.push(`${o.name} (${p})`);
  }
  const lines: string[] = [];
  if (skippedParts.length) lines.push(`skipped legs: ${skippedParts.join(', ')}`);
  if (problems.length) lines.push(`failures besides tests: ${problems.join(', ')}`);
  lines.push(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return { lines, exitCode: failed > 0 ? 1 : 0 };
}
