// The event stream as pollers (GET /events) and the dispatcher's fan-out read it: in
// (tx_id, seq) order, and only rows of transactions older than every transaction still
// running. A sequence value is taken before commit, so a row with a lower seq may commit
// after one with a higher seq; reading below the oldest running transaction
// (pg_snapshot_xmin) means a reader that moved past a position never finds a row behind it.
import type { PrismaClient } from '../../infra/database.js';
import { InvalidInputError } from '../errors.js';
import { cursorOf, cursorParts, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../paging.js';

/** A place in the stream: the last event read. */
export type StreamPosition = { txId: bigint; seq: bigint };

/** SQL for the horizon: rows with a tx_id below it are final (committed or never to appear). */
export const STREAM_HORIZON_SQL = 'pg_snapshot_xmin(pg_current_snapshot())::text::bigint';

export function encodeStreamCursor(p: StreamPosition): string {
  return cursorOf([p.txId.toString(), p.seq.toString()]);
}

const INT64 = /^\d{1,19}$/;
const MAX_INT64 = 9_223_372_036_854_775_807n;

export function decodeStreamCursor(cursor: string): StreamPosition | undefined {
  const [tx, seq] = cursorParts(cursor, 2) ?? [];
  if (tx === undefined || seq === undefined || !INT64.test(tx) || !INT64.test(seq)) return undefined;
  const p = { txId: BigInt(tx), seq: BigInt(seq) };
  return p.txId > MAX_INT64 || p.seq > MAX_INT64 ? undefined : p;
}

/** An event as it is delivered and listed: Stripe's envelope. */
export type EventEnvelope = { id: string; type: string; created: number; data: unknown };

export type EventRow = { seq: bigint; tx_id: bigint; id: string; type: string; order_id: string; payload: unknown; created_at: Date };

export function envelopeOf(row: Pick<EventRow, 'id' | 'type' | 'payload' | 'created_at'>): EventEnvelope {
  return { id: row.id, type: row.type, created: Math.floor(new Date(row.created_at).getTime() / 1000), data: row.payload };
}

/** Events strictly after `after` (from the start when undefined), oldest first, at most `limit`. */
export async function readStream(prisma: PrismaClient, after: StreamPosition | undefined, limit: number): Promise<EventRow[]> {
  const from = after ?? { txId: 0n, seq: 0n };
  return prisma.$queryRawUnsafe<EventRow[]>(
    `SELECT seq, tx_id, id, type, order_id::text AS order_id, payload, created_at FROM events
      WHERE (tx_id, seq) > ($1::bigint, $2::bigint) AND tx_id < ${STREAM_HORIZON_SQL}
      ORDER BY tx_id, seq LIMIT $3`,
    from.txId,
    from.seq,
    limit,
  );
}

export type EventPage = { events: EventEnvelope[]; nextCursor: string | null };

/**
 * One page of the stream for a poller. `nextCursor` is where to continue: the last event
 * returned, or the `after` given when nothing is new yet (null only when the stream is empty).
 */
export async function eventPage(prisma: PrismaClient, query: { after?: string | undefined; limit?: number | undefined }): Promise<EventPage> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const after = query.after === undefined ? undefined : decodeStreamCursor(query.after);
  const errors: { field: string; message: string }[] = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) errors.push({ field: 'limit', message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` });
  if (query.after !== undefined && after === undefined) errors.push({ field: 'after', message: 'is not a cursor this API handed out' });
  if (errors.length > 0) throw new InvalidInputError(errors);
  const rows = await readStream(prisma, after, limit);
  const last = rows.at(-1);
  return {
    events: rows.map(envelopeOf),
    nextCursor: last ? encodeStreamCursor({ txId: BigInt(last.tx_id), seq: BigInt(last.seq) }) : (query.after ?? null),
  };
}
