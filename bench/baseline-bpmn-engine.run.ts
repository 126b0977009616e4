/**
 * Runs the bpmn-engine baseline alone and prints its figures.
 *
 *   node --expose-gc --import tsx bench/baseline-bpmn-engine.run.ts [--parse-each]
 *
 * --parse-each: every instance parses the BPMN XML itself instead of sharing one parsed definition.
 */
import { runBpmnEngineBaseline, type EngineFigures } from './baseline-bpmn-engine.js';

export function formatFigures(rows: EngineFigures[]): string {
  const header = ['engine', 'completed', 'seconds', 'instances/s', 'p50 ms', 'p99 ms', 'parked', 'heap/parked instance'];
  const body = rows.map((f) => [
    f.engine,
    String(f.completed),
    f.seconds.toFixed(2),
    f.instancesPerSecond.toFixed(1),
    f.p50Ms.toFixed(2),
    f.p99Ms.toFixed(2),
    String(f.parked),
    formatBytes(f.heapPerParkedInstanceBytes),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...body.map(line)].join('\n');
}

function formatBytes(bytes: number): string {
  if (Math.abs(bytes) >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
  if (Math.abs(bytes) >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${Math.round(bytes)} B`;
}

const figures = await runBpmnEngineBaseline({
  instances: 500,
  concurrency: 20,
  parked: 1000,
  parseEachInstance: process.argv.includes('--parse-each'),
});
console.log(formatFigures([figures]));
