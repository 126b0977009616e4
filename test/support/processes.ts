import { existsSync, readFileSync } from 'node:fs';

/** Running, and not a zombie waiting for its parent (or init) to reap it. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return !existsSync('/proc/self/stat'); // gone meanwhile, unless there is no /proc at all
  }
}

/** SIGKILLs each of `pids` still running a redis-server: what a failed run left behind. */
export function killRedisServers(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      if (isRunning(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server')) process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile (or no /proc: nothing to check the pid against)
    }
  }
}
