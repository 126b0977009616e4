// Prisma driver adapter for PGlite in-process. pglite-prisma-adapter 0.6.1 reports
// every database error as a raw `postgres` error, so Prisma never raises P2002 for
// a unique violation; this wrapper maps SQLSTATEs the way @prisma/adapter-pg does.
import type { PGlite } from '@electric-sql/pglite';
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import type { SqlDriverAdapter, SqlDriverAdapterFactory, SqlQueryable, Transaction } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';

type RawPostgresError = { kind: 'postgres'; code: string; message: string; detail?: string; column?: string };

function keyFields(detail: string | undefined): { fields: string[] } | undefined {
  const fields = detail?.match(/Key \(([^)]+)\)/)?.at(1)?.split(', ');
  return fields ? { fields } : undefined;
}

function mapError(error: unknown): never {
  if (error instanceof DriverAdapterError && error.cause.kind === 'postgres') {
    const raw = error.cause as RawPostgresError;
    switch (raw.code) {
      case '23505':
        throw new DriverAdapterError({ kind: 'UniqueConstraintViolation', constraint: keyFields(raw.detail) });
      case '23502':
        throw new DriverAdapterError({ kind: 'NullConstraintViolation', constraint: keyFields(raw.detail) });
      case '23503':
        throw new DriverAdapterError({
          kind: 'ForeignKeyConstraintViolation',
          constraint: raw.column ? { fields: [raw.column] } : undefined,
        });
      case '40001':
        throw new DriverAdapterError({ kind: 'TransactionWriteConflict' });
      case '22003':
        throw new DriverAdapterError({ kind: 'ValueOutOfRange', cause: raw.message });
    }
  }
  throw error;
}

function withMappedErrors<T extends SqlQueryable>(target: T): T {
  const queryRaw = target.queryRaw.bind(target);
  const executeRaw = target.executeRaw.bind(target);
  target.queryRaw = (q) => queryRaw(q).catch(mapError);
  target.executeRaw = (q) => executeRaw(q).catch(mapError);
  return target;
}

export function pgliteAdapterFactory(pglite: PGlite): SqlDriverAdapterFactory {
  const inner = new PrismaPGlite(pglite) as unknown as SqlDriverAdapterFactory;
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect(): Promise<SqlDriverAdapter> {
      const adapter = withMappedErrors(await inner.connect());
      const startTransaction = adapter.startTransaction.bind(adapter);
      adapter.startTransaction = async (isolationLevel) => {
        const tx: Transaction = await startTransaction(isolationLevel);
        return withMappedErrors(tx);
      };
      return adapter;
    },
  };
}
