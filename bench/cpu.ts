/**
 * Where the CPU goes during a benchmark phase: this Node process, the local
 * PostgreSQL server's processes (when the server runs on this machine), and the
 * whole machine. Linux only (/proc); elsewhere the server and machine figures
 * are left out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every common Linux build. */
const CLOCK_TICKS_PER_SECOND = 100;

export type CpuSample = { at: number; node: NodeJS.CpuUsage; postgresTicks?: number; machine?: { idle: number; total: number } };

export type CpuSplit = {
  wallMs: number;
  /** CPU time of this process (engine, driver, PGlite when in-process), ms. */
  nodeMs: number;
  /** CPU time of the processes named postgres* on this machine, ms (undefined when none are visible). */
  postgresMs?: number;
  /** Busy share of all cores of the machine over the phase, 0..1 (other processes included). */
  machineBusy?: number;
  cores: number;
};

function postgresTicks(): number | undefined {
  let ticks = 0;
  let found = false;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      if (!comm.startsWith('postgres')) continue;
      // Fields after "(comm) ": state is field 3; utime and stime are fields 14 and 15.
      const fields = stat.slice(close + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      found = true;
    } catch {
      // the process ended meanwhile
    }
  }
  return found ? ticks : undefined;
}

function machineTicks(): { idle: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    if (values.length < 5 || values.some((v) => !Number.isFinite(v))) return undefined;
    return { idle: (values[3] ?? 0) + (values[4] ?? 0), total: values.reduce((a, b) => a + b, 0) };
  } catch {
    return undefined;
  }
}

export function cpuSample(withPostgres: boolean): CpuSample {
  return { at: performance.now(), node: process.cpuUsage(), postgresTicks: withPostgres ? postgresTicks() : undefined, machine: machineTicks() };
}

export function cpuSplit(from: CpuSample, to: CpuSample, cores: number): CpuSplit {
  const nodeMs = (to.node.user - from.node.user + (to.node.system - from.node.system)) / 1000;
  const postgresMs =
    from.postgresTicks !== undefined && to.postgresTicks !== undefined ? ((to.postgresTicks - from.postgresTicks) * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
  const machineBusy =
    from.machine && to.machine && to.machine.total > from.machine.total
      ? 1 - (to.machine.idle - from.machine.idle) / (to.machine.total - from.machine.total)
      : undefined;
  return { wallMs: to.at - from.at, nodeMs, postgresMs, machineBusy, cores };
}
