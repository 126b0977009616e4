// Prisma driver adapter for PGlite in-process, mending two faults of pglite-prisma-adapter
// 0.6.1: it reports every database error as a raw `postgres` error, so Prisma never raises
// P2002 for a unique violation (mapped here the way @prisma/adapter-pg does); and it
// reports a COMMIT that failed (a deferred constraint) as a success, the data rolled back
// while the caller hears "committed" (here the commit answers PGlite's own verdict).
import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQueryable, Transaction } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';

function keyFields(detail: string | undefined): { fields: string[] } | undefined {
  const fields = detail
    ?.match(/Key \(([^)]+)\)/)
    ?.at(1)
    ?.split(', ');
  return fields ? { fields } : undefined;
}

type DatabaseErrorLike = { code: string; severity: string; message: string; detail?: string; column?: string; hint?: string };

// Recognised by shape, not `instanceof`: the adapter's CommonJS build and this ESM
// module can hold different copies of the classes (as under Jest's module registry).
function asDatabaseError(error: unknown): DatabaseErrorLike | undefined {
  const wrapped = error as { name?: unknown; cause?: { kind?: unknown } } | null;
  if (wrapped?.name === 'DriverAdapterError') return wrapped.cause?.kind === 'postgres' ? (wrapped.cause as unknown as DatabaseErrorLike) : undefined;
  const e = error as Partial<DatabaseErrorLike> | null;
  return e && typeof e.code === 'string' && typeof e.severity === 'string' && typeof e.message === 'string' ? (e as DatabaseErrorLike) : undefined;
}

function mapError(error: unknown): never {
  const raw = asDatabaseError(error);
  if (!raw) throw error;
  // Prisma prints originalCode/originalMessage for every mapped error, as adapter-pg sets them.
  const original = { originalCode: raw.code, originalMessage: raw.message };
  switch (raw.code) {
    case '23505':
      throw new DriverAdapterError({ kind: 'UniqueConstraintViolation', constraint: keyFields(raw.detail), ...original });
    case '23502':
      throw new DriverAdapterError({ kind: 'NullConstraintViolation', constraint: keyFields(raw.detail), ...original });
    case '23503':
      throw new DriverAdapterError({ kind: 'ForeignKeyConstraintViolation', constraint: raw.column ? { fields: [raw.column] } : undefined, ...original });
    case '40001':
      throw new DriverAdapterError({ kind: 'TransactionWriteConflict', ...original });
    case '22003':
      throw new DriverAdapterError({ kind: 'ValueOutOfRange', cause: raw.message, ...original });
    default:
      throw new DriverAdapterError({
        kind: 'postgres',
        code: raw.code,
        severity: raw.severity,
        message: raw.message,
        detail: raw.detail,
        column: raw.column,
        hint: raw.hint,
        ...original,
      });
  }
}

function withMappedErrors<T extends SqlQueryable>(target: T): T {
  const queryRaw = target.queryRaw.bind(target);
  const executeRaw = target.executeRaw.bind(target);
  target.queryRaw = (q) => queryRaw(q).catch(mapError);
  target.executeRaw = (q) => executeRaw(q).catch(mapError);
  return target;
}

export function pgliteAdapterFactory(pglite: PGlite): SqlDriverAdapterFactory {
  // PGlite's own promise of each transaction, by the transaction handle the adapter wraps:
  // the adapter swallows its rejection (a failed COMMIT), so the commit below awaits it.
  const outcomes = new WeakMap<PGliteTransaction, Promise<unknown>>();
  const transaction = <T>(fn: (tx: PGliteTransaction) => Promise<T>): Promise<T> => {
    const outcome: Promise<T> = pglite.transaction((tx) => {
      // A microtask later `outcome` is assigned, however soon PGlite calls back.
      const settled = Promise.resolve().then(() => outcome);
      settled.catch(() => undefined); // awaited by commit only; a rolled-back transaction's is nobody's concern
      outcomes.set(tx, settled);
      return fn(tx);
    });
    return outcome;
  };
  // Everything else as PGlite itself (bound: PGlite keeps private state).
  const client = new Proxy(pglite, {
    get(target, prop) {
      if (prop === 'transaction') return transaction;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const inner = new PrismaPGlite(client) as unknown as SqlDriverAdapterFactory;
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect(): Promise<SqlDriverAdapter> {
      const adapter = withMappedErrors(await inner.connect());
      const startTransaction = adapter.startTransaction.bind(adapter);
      adapter.startTransaction = async (isolationLevel) => {
        const tx: Transaction = await startTransaction(isolationLevel);
        const outcome = outcomes.get((tx as unknown as { client: PGliteTransaction }).client);
        if (!outcome) throw new Error('pglite adapter: the transaction has no outcome to await (pglite-prisma-adapter changed?)');
        const commit = tx.commit.bind(tx);
        tx.commit = async () => {
          await commit();
          await outcome.catch(mapError);
        };
        return withMappedErrors(tx);
      };
      return adapter;
    },
  };
}
