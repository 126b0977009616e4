// The audit pruner: every interval, in the processes that run the engine's background work
// (where the timer loop runs), deletes the audit detail of instances that ended more than the
// retention ago, batch by batch, folding it into the per-element rollup (store/audit.ts).
import type { Logger } from '../../infra/logger.js';
import { pruneAuditBatch, type PruneResult } from './store/audit.js';
import type { TransactionRunner } from './transactions.js';

/** Seven days: ENGINE_AUDIT_RETENTION_DAYS' default. */
export const DEFAULT_AUDIT_RETENTION_MS = 7 * 24 * 3_600_000;
export const DEFAULT_AUDIT_PRUNE_INTERVAL_MS = 3_600_000;
/** Instances per statement (and transaction): ~12–30 audit rows each. */
export const AUDIT_PRUNE_BATCH = 100;
/** The first pass after start: soon, so that a process restarted more often than the interval still prunes. */
const FIRST_PASS_MAX_DELAY_MS = 60_000;

export type AuditPrunerOptions = {
  transactions: TransactionRunner;
  log: Logger;
  retentionMs: number;
  intervalMs: number;
  batch: number;
  /** Prune periodically (off where the timer loop is off: processes that only serve the API or deploy). */
  run: boolean;
};

export class AuditPruner {
  private timer: NodeJS.Timeout | undefined;
  private readonly passes = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly o: AuditPrunerOptions) {
    if (o.run) this.schedule(Math.min(o.intervalMs, FIRST_PASS_MAX_DELAY_MS));
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.prune()
        .catch((err: unknown) => this.o.log.error({ err }, 'audit pruning failed; it runs again at the next interval'))
        .finally(() => this.schedule(this.o.intervalMs));
    }, ms);
    this.timer.unref();
  }

  /**
   * Prunes every instance past the retention, a batch per transaction, and logs what it did.
   * Safe beside other passes, here or in other processes: each instance is pruned once.
   */
  prune(): Promise<PruneResult> {
    const pass = this.runPass();
    const settled = pass.catch(() => undefined).finally(() => this.passes.delete(settled));
    this.passes.add(settled);
    return pass;
  }

  private async runPass(): Promise<PruneResult> {
    const { transactions, log, retentionMs, batch } = this.o;
    const total: PruneResult = { instances: 0, auditRows: 0, decisionEvaluations: 0 };
    const started = Date.now();
    for (;;) {
      if (this.closed) break;
      const done = await transactions.run((tx) => pruneAuditBatch(tx, retentionMs, batch));
      total.instances += done.instances;
      total.auditRows += done.auditRows;
      total.decisionEvaluations += done.decisionEvaluations;
      if (done.instances < batch) break;
    }
    if (total.instances > 0) {
      log.info({ ...total, retentionMs, batch, durationMs: Date.now() - started }, 'pruned the audit trail of instances that ended before the retention');
    }
    return total;
  }

  /** Stops the schedule; resolves once a pass under way has ended (it stops after its batch). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all(this.passes);
  }
}
