// Runs Jest once with a JSON report, for `npm test` and `npm run test:zeebe`.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { JestReport } from './test-verdict.js';

/** Where the legs' reports go: `test-artifacts/`, or TEST_ARTIFACTS_DIR (the runner's own tests use a temporary one). */
export function artifactsDir(): string {
  return path.resolve(process.env.TEST_ARTIFACTS_DIR || 'test-artifacts');
}

/** Jest's exit code and the report it wrote on this run, if any; `capture`: its output too, kept instead of printed. */
export async function runJest(
  reportFile: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  o: { capture?: boolean } = {},
): Promise<{ exitCode: number; report: JestReport | undefined; output: string }> {
  await mkdir(path.dirname(reportFile), { recursive: true });
  // A Jest that stops before writing its report (bad arguments, a crash, a kill)
  // must not leave an earlier run's report to be read as this one's.
  await rm(reportFile, { force: true });
  const merged = { ...process.env, ...env };
  let output = '';
  const exitCode = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--json', `--outputFile=${reportFile}`, ...args], {
      stdio: o.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env: merged,
    });
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
  try {
    return { exitCode, report: JSON.parse(await readFile(reportFile, 'utf8')) as JestReport, output };
  } catch {
    return { exitCode, report: undefined, output };
  }
}
