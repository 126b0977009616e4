/**
 * Counting wrapper around the engine's raw-SQL session, used by the engine
 * benchmark as profiling evidence: how many transactions and statements one
 * process instance costs, and which statements take the time.
 *
 * Times are wall-clock per call, as the engine sees them: they include waiting
 * for PGlite's single connection (PGlite runs one statement at a time) or for a
 * pooled PostgreSQL connection (pool.query outside a transaction), and the
 * transaction time includes BEGIN/COMMIT and the engine's own JavaScript work
 * between statements.
 */
import { performance } from 'node:perf_hooks';

import type { SqlSession } from '../infra/database.js';

export type StatementStat = { label: string; count: number; ms: number };

export type SqlSnapshot = {
  transactions: number;
  transactionMs: number;
  statements: number;
  statementMs: number;
  byStatement: Map<string, StatementStat>;
};

const labels = new Map<string, string>();

/** A short, stable label for one SQL text: its first words, whitespace collapsed (cached: the engine's SQL texts are constants). */
function label(sql: string): string {
  let short = labels.get(sql);
  if (short === undefined) {
    const flat = sql.replace(/\s+/g, ' ').trim();
    short = flat.length > 110 ? `${flat.slice(0, 107)}...` : flat;
    if (labels.size < 10_000) labels.set(sql, short);
  }
  return short;
}

export class SqlStats {
  transactions = 0;
  transactionMs = 0;
  statements = 0;
  statementMs = 0;
  private readonly byStatement = new Map<string, StatementStat>();

  private record(sql: string, ms: number): void {
    this.statements++;
    this.statementMs += ms;
    const key = label(sql);
    const stat = this.byStatement.get(key);
    if (stat) {
      stat.count++;
      stat.ms += ms;
    } else {
      this.byStatement.set(key, { label: key, count: 1, ms });
    }
  }

  snapshot(): SqlSnapshot {
    return {
      transactions: this.transactions,
      transactionMs: this.transactionMs,
      statements: this.statements,
      statementMs: this.statementMs,
      byStatement: new Map([...this.byStatement].map(([k, v]) => [k, { ...v }])),
    };
  }

  /** Wraps a session; statements inside transactions are counted through the wrapped transaction session. */
  wrap(session: SqlSession): SqlSession {
    return this.wrapSession(session, false);
  }

  private wrapSession(session: SqlSession, inTransaction: boolean): SqlSession {
    const timed = async <T>(sql: string, run: () => Promise<T>): Promise<T> => {
      const startedAt = performance.now();
      try {
        return await run();
      } finally {
        this.record(sql, performance.now() - startedAt);
      }
    };
    return {
      query: <T>(sql: string, params?: unknown[]) => timed(sql, () => session.query<T>(sql, params)),
      exec: (sql: string) => timed(sql, () => session.exec(sql)),
      transaction: async <T>(fn: (tx: SqlSession) => Promise<T>): Promise<T> => {
        if (inTransaction) return session.transaction((tx) => fn(this.wrapSession(tx, true)));
        const startedAt = performance.now();
        this.transactions++;
        try {
          return await session.transaction((tx) => fn(this.wrapSession(tx, true)));
        } finally {
          this.transactionMs += performance.now() - startedAt;
        }
      },
    };
  }
}

export type SqlProfile = {
  transactions: number;
  statements: number;
  /** Mean wall time of one transaction (connection wait + BEGIN..COMMIT + JS work inside). */
  meanTransactionMs: number;
  /** Mean wall time of one statement as seen by the engine. */
  meanStatementMs: number;
  /** Statements by total wall time, largest first. */
  top: StatementStat[];
};

/** What happened between two snapshots. */
export function sqlDelta(before: SqlSnapshot, after: SqlSnapshot, topN = 12): SqlProfile {
  const transactions = after.transactions - before.transactions;
  const statements = after.statements - before.statements;
  const rows: StatementStat[] = [];
  for (const [key, stat] of after.byStatement) {
    const prev = before.byStatement.get(key);
    const count = stat.count - (prev?.count ?? 0);
    if (count > 0) rows.push({ label: key, count, ms: stat.ms - (prev?.ms ?? 0) });
  }
  rows.sort((a, b) => b.ms - a.ms);
  return {
    transactions,
    statements,
    meanTransactionMs: transactions > 0 ? (after.transactionMs - before.transactionMs) / transactions : 0,
    meanStatementMs: statements > 0 ? (after.statementMs - before.statementMs) / statements : 0,
    top: rows.slice(0, topN),
  };
}
