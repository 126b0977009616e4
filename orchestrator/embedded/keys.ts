import type { SqlSession } from '../../infra/database.js';

const BLOCK = 1000n;

/**
 * Zeebe-style int64 keys as decimal strings. The database sequence advances by
 * 1000; each process hands out its block locally, so a key rarely costs a round
 * trip and processes sharing one database never collide.
 */
export class KeyAllocator {
  private next = 0n;
  private end = 0n;
  private refill: Promise<void> | undefined;

  /** `session`: the caller's transaction, if any (PGlite has one connection: a query outside it would wait for it). */
  async take(session: SqlSession): Promise<string> {
    while (this.next >= this.end) {
      this.refill ??= session
        .query<{ k: string }>(`SELECT nextval('engine_key_seq')::text AS k`)
        .then(([row]) => {
          this.next = BigInt((row as { k: string }).k);
          this.end = this.next + BLOCK;
        })
        .finally(() => (this.refill = undefined));
      await this.refill;
    }
    return (this.next++).toString();
  }
}
