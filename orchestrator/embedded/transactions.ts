// The engine's transactions: retried on a serialization failure or deadlock, and for
// events, hooks per attempt: what an attempt registered runs once it committed, or is
// undone when it was rolled back.
import type { SqlSession } from '../../infra/database.js';

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_TX_ATTEMPTS = 8;

type Hook = () => void;
type Hooks = { committed: Hook[]; committedLast: Hook[]; rolledBack: Hook[] };

export class TransactionRunner {
  private readonly hooks = new WeakMap<SqlSession, Hooks>();

  constructor(private readonly sql: SqlSession) {}

  /** Runs `fn` in a transaction; again, after a short random pause, when it lost a serialization conflict or a deadlock. */
  async run<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sql.transaction(fn);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (!code || !RETRYABLE.has(code) || attempt >= MAX_TX_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      }
    }
  }

  /**
   * Like run, for an event: once it settled, the attempts rolled back run their rollback
   * hooks, then the attempt that committed (if one did) runs its after-commit hooks.
   */
  async event<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> {
    const attempts: SqlSession[] = [];
    let out: T;
    try {
      out = await this.run(async (tx) => {
        attempts.push(tx);
        return fn(tx);
      });
    } catch (err) {
      for (const tx of attempts) this.rolledBack(tx);
      throw err;
    }
    const committed = attempts.pop() as SqlSession;
    for (const tx of attempts) this.rolledBack(tx);
    const hooks = this.hooks.get(committed);
    if (hooks) {
      this.hooks.delete(committed);
      for (const hook of hooks.committed) hook();
      for (const hook of hooks.committedLast) hook();
    }
    return out;
  }

  /** Runs `hook` once the event attempt `tx` committed, after the hooks registered before it; never for an attempt rolled back. */
  afterCommit(tx: SqlSession, hook: Hook): void {
    this.of(tx).committed.push(hook);
  }

  /** Like afterCommit, but after every afterCommit hook of the attempt, whenever registered (job streaming: workers get their jobs once the commit was announced). */
  afterCommitLast(tx: SqlSession, hook: Hook): void {
    this.of(tx).committedLast.push(hook);
  }

  /** Runs `hook` when the event attempt `tx` was rolled back: retried, or the event failed. */
  onRollback(tx: SqlSession, hook: Hook): void {
    this.of(tx).rolledBack.push(hook);
  }

  private of(tx: SqlSession): Hooks {
    let hooks = this.hooks.get(tx);
    if (!hooks) {
      hooks = { committed: [], committedLast: [], rolledBack: [] };
      this.hooks.set(tx, hooks);
    }
    return hooks;
  }

  private rolledBack(tx: SqlSession): void {
    const hooks = this.hooks.get(tx);
    if (!hooks) return;
    this.hooks.delete(tx);
    for (const hook of hooks.rolledBack) hook();
  }
}
