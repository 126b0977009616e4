// Group commit for engine events. Requests that arrive while a transaction is in
// flight are answered together by the next one: under load a transaction carries
// many events for the cost of a few statements; alone, a request waits for nothing.
export type Pending<C, R> = { command: C; resolve: (r: R) => void; reject: (e: unknown) => void };

export class Batcher<C, R> {
  private queue: Pending<C, R>[] = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly flush: (batch: Pending<C, R>[]) => Promise<void>,
    private readonly options: { maxBatch: number; maxConcurrent: number },
  ) {}

  submit(command: C): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ command, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.options.maxConcurrent || this.queue.length === 0) return;
    this.scheduled = true;
    // One turn of the event loop lets requests made together travel together.
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running >= this.options.maxConcurrent || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.options.maxBatch);
    this.running++;
    try {
      await this.flush(batch);
    } catch (err) {
      if (batch.length === 1) batch[0]!.reject(err);
      // One bad request must not fail the others: each is tried again on its own.
      else for (const p of batch) await this.flush([p]).catch((e) => p.reject(e));
    } finally {
      this.running--;
      this.schedule();
    }
  }
}
