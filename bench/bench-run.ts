// What every bench command shares: cleanups that also run on Ctrl-C and on the watchdog,
// the elapsed-time label, and the ending (exit code 0 when the report was produced, 1 on
// errors; a stray handle cannot hang the run).
import { performance } from 'node:perf_hooks';

export type BenchRun = {
  /** Keeps `fn` for an interrupted run; the function returned runs it once, on the normal path. */
  cleanup(fn: () => Promise<void>): () => Promise<void>;
  /** Seconds since the run started, as a label: `12 s`. */
  elapsed(): string;
  seconds(): number;
  /** Runs `main`, then every cleanup left, and sets the exit code. */
  finish(main: () => Promise<void>): Promise<void>;
};

export function benchRun(name: string, watchdogMs: number): BenchRun {
  const startedAt = performance.now();
  const cleanups: (() => Promise<void>)[] = [];
  const runCleanups = async () => {
    while (cleanups.length > 0) {
      const fn = cleanups.pop()!;
      await fn().catch((err: unknown) => console.error('cleanup failed:', err));
    }
  };
  const watchdog = setTimeout(() => {
    console.error(`\n${name}: still running after ${watchdogMs / 60_000} minutes; giving up.`);
    void runCleanups().finally(() => process.exit(1));
  }, watchdogMs);
  watchdog.unref();
  process.once('SIGINT', () => {
    console.error(`\n${name}: interrupted; cleaning up.`);
    void runCleanups().finally(() => process.exit(130));
  });
  const seconds = () => (performance.now() - startedAt) / 1000;
  return {
    cleanup(fn) {
      cleanups.push(fn);
      return async () => {
        const i = cleanups.indexOf(fn);
        if (i < 0) return;
        cleanups.splice(i, 1);
        await fn();
      };
    },
    seconds,
    elapsed: () => `${seconds().toFixed(0)} s`,
    async finish(main) {
      try {
        await main();
        process.exitCode = 0;
      } catch (err) {
        console.error(`\n${name} failed:`, err);
        process.exitCode = 1;
      } finally {
        await runCleanups();
        clearTimeout(watchdog);
        // Anything still holding the event loop open (a pool, a stray timer) must not hang the run.
        setTimeout(() => process.exit(process.exitCode ?? 0), 3_000).unref();
      }
    },
  };
}

/** Reads whole-number settings from the environment; a bad value ends the run naming the variable. */
export function envIntReader(bench: string): (name: string, fallback: number, min?: number) => number {
  return (name, fallback, min = 1) => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      console.error(`${bench}: ${name} must be a whole number ≥ ${min}, got "${raw}"`);
      process.exit(1);
    }
    return n;
  };
}
