// The event stream as pollers (GET /events) and the dispatcher's fan-out read it: by
// position, which the sequencer (sequencer.ts) gives events after they committed, in commit
// order. Every position up to the highest one visible is final, so a reader that moved past
// a position never finds a row behind it, and no transaction elsewhere holds readers back.
import type { PrismaClient } from '../../infra/database.js';
import { InvalidInputError } from '../errors.js';
import { cursorOf, cursorParts, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../paging.js';
import { sequenceBeforeReading } from './sequencer.js';

const INT64 = /^\d{1,19}$/;
const MAX_INT64 = 9_223_372_036_854_775_807n;
const int64 = (text: string | undefined) => (text !== undefined && INT64.test(text) && BigInt(text) <= MAX_INT64 ? BigInt(text) : undefined);

/** A cursor names the position of the last event read. */
export function encodeStreamCursor(position: bigint): string {
  return cursorOf([position.toString()]);
}

/**
 * The position a cursor names, or undefined for anything this API did not hand out. A cursor
 * of the (tx_id, seq) stream before positions names its last event by seq: positions were given
 * in that order, so that event's position continues where it left off (while the event is kept).
 */
export async function positionOfCursor(prisma: PrismaClient, cursor: string): Promise<bigint | undefined> {
  const [position] = cursorParts(cursor, 1) ?? [];
  if (position !== undefined) return int64(position);
  const [txId, seq] = cursorParts(cursor, 2) ?? [];
  if (int64(txId) === undefined || int64(seq) === undefined) return undefined;
  const [row] = await prisma.$queryRaw<{ position: bigint | null }[]>`SELECT position FROM events WHERE seq = ${int64(seq)}::bigint`;
  return row?.position ?? undefined;
}

/** An event as it is delivered and listed: Stripe's envelope. */
export type EventEnvelope = { id: string; type: string; created: number; data: unknown };

export type EventRow = { seq: bigint; position: bigint; id: string; type: string; order_id: string; payload: unknown; created_at: Date };

export function envelopeOf(row: Pick<EventRow, 'id' | 'type' | 'payload' | 'created_at'>): EventEnvelope {
  return { id: row.id, type: row.type, created: Math.floor(new Date(row.created_at).getTime() / 1000), data: row.payload };
}

/** Sequenced events strictly after position `after` (from the start when undefined), oldest first, at most `limit`. */
export async function readStream(prisma: PrismaClient, after: bigint | undefined, limit: number): Promise<EventRow[]> {
  return prisma.$queryRaw<EventRow[]>`
    SELECT seq, position, id, type, order_id::text AS order_id, payload, created_at FROM events
     WHERE position > ${after ?? 0n}::bigint ORDER BY position LIMIT ${limit}`;
}

export type EventPage = { events: EventEnvelope[]; nextCursor: string | null };

/**
 * One page of the stream for a poller. `nextCursor` is where to continue: the last event
 * returned, or the `after` given when nothing is new yet (null only when the stream is empty).
 * Finding nothing new, it runs a sequencer pass and looks again, so a poller does not wait for
 * the dispatcher's next round; that costs one indexed query when no event waits for a position.
 */
export async function eventPage(prisma: PrismaClient, query: { after?: string | undefined; limit?: number | undefined }): Promise<EventPage> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const after = query.after === undefined ? undefined : await positionOfCursor(prisma, query.after);
  const errors: { field: string; message: string }[] = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) errors.push({ field: 'limit', message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` });
  if (query.after !== undefined && after === undefined) errors.push({ field: 'after', message: 'is not a cursor this API handed out' });
  if (errors.length > 0) throw new InvalidInputError(errors);
  let rows = await readStream(prisma, after, limit);
  if (rows.length < limit && (await sequenceBeforeReading(prisma))) rows = await readStream(prisma, after, limit);
  const last = rows.at(-1);
  return {
    events: rows.map(envelopeOf),
    nextCursor: last ? encodeStreamCursor(BigInt(last.position)) : (query.after ?? null),
  };
}
