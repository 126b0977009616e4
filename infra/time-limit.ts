/**
 * `p`, or a rejection with `message` when it has not settled within `ms`. The
 * timer is cleared either way and never keeps the process alive by itself.
 */
export function withinTime<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
