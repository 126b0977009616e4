// Prisma driver adapter for PostgreSQL: @prisma/adapter-pg, mending one fault of 6.19:
// when the COMMIT statement itself fails (a deferred constraint, a serialization failure
// found at commit) Prisma neither commits nor rolls back the adapter's transaction, so its
// pool connection is never released; a pool of N is exhausted after N such commits.
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from '@prisma/driver-adapter-utils';
import type pg from 'pg';

/** commit and rollback each release the connection: let only the first of them (or of a failed COMMIT) run. */
function releasedOnce(tx: Transaction): Transaction {
  const commit = tx.commit.bind(tx);
  const rollback = tx.rollback.bind(tx);
  const executeRaw = tx.executeRaw.bind(tx);
  let ended = false;
  const end = (how: () => Promise<void>) => async () => {
    if (ended) return;
    ended = true;
    await how();
  };
  tx.commit = end(commit);
  tx.rollback = end(rollback);
  tx.executeRaw = async (query) => {
    try {
      return await executeRaw(query);
    } catch (err) {
      // PostgreSQL has ended the transaction (rolled back); the connection is fine for the next one.
      if (query.sql.trim().toUpperCase() === 'COMMIT') await end(rollback)();
      throw err;
    }
  };
  return tx;
}

export function pgAdapterFactory(pool: pg.Pool): SqlDriverAdapterFactory {
  const inner = new PrismaPg(pool) as unknown as SqlDriverAdapterFactory;
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect(): Promise<SqlDriverAdapter> {
      const adapter = await inner.connect();
      const startTransaction = adapter.startTransaction.bind(adapter);
      adapter.startTransaction = async (isolationLevel) => releasedOnce(await startTransaction(isolationLevel));
      return adapter;
    },
  };
}
