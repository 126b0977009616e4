// The pause of a worker's poll loop, which something else can cut short: a job
// appeared, a handler freed room, the worker is closing.
export class WakeableSleep {
  private wakeNow: (() => void) | undefined;
  /** A wake-up that came while the loop was busy: the next sleep returns at once. */
  private pending = false;

  sleep(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(), ms);
      const done = () => {
        clearTimeout(timer);
        this.wakeNow = undefined;
        resolve();
      };
      this.wakeNow = done;
    });
  }

  /** Ends the sleep now; with `remember`, a loop that is not asleep skips its next sleep instead. */
  wake(o: { remember?: boolean } = {}): void {
    if (this.wakeNow) this.wakeNow();
    else if (o.remember) this.pending = true;
  }
}
