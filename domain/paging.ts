// Keyset pagination, one convention for every list: `limit` rows (1–100, default
// 20) after an opaque `cursor` naming the last row of the previous page, and
// `nextCursor` null on the last page. Each list fetches one row more than it
// shows, so "is there another page?" costs nothing extra.
import { InvalidInputError } from './errors.js';
import { isUuid } from './ids.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export type PageQuery = {
  /** nextCursor of the previous page; absent for the first page. */
  cursor?: string | undefined;
  /** 1..100, default 20. */
  limit?: number | undefined;
};

type FieldError = { field: string; message: string };

const CURSOR_TEXT = /^[A-Za-z0-9_-]{1,200}$/;

/** The opaque cursor naming a row by its sort key: base64url of the key's parts joined by "|". */
export function cursorOf(parts: readonly string[]): string {
  return Buffer.from(parts.join('|'), 'utf8').toString('base64url');
}

/** The `count` parts of a cursor made by cursorOf, or undefined for anything else. */
export function cursorParts(cursor: string, count: number): string[] | undefined {
  if (!CURSOR_TEXT.test(cursor)) return undefined;
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  return parts.length === count ? parts : undefined;
}

/**
 * Checks `limit` and `cursor` (decoded by the list's own `decode`, undefined for a cursor
 * this API did not hand out) together with the list's own filter errors, and throws one
 * InvalidInputError naming every bad one.
 */
export function pageRequest<P>(
  query: PageQuery,
  decode: (cursor: string) => P | undefined,
  filterErrors: FieldError[] = [],
): { limit: number; after: P | undefined } {
  const errors = [...filterErrors];
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) errors.push({ field: 'limit', message: `must be an integer from 1 to ${MAX_PAGE_SIZE}` });
  const after = query.cursor === undefined ? undefined : decode(query.cursor);
  if (query.cursor !== undefined && after === undefined) errors.push({ field: 'cursor', message: 'is not a cursor this API handed out' });
  if (errors.length > 0) throw new InvalidInputError(errors);
  return { limit, after };
}

/** One page of `rows` fetched with `take: limit + 1`: the extra row only says that another page follows. */
export function pageOf<R>(rows: R[], limit: number, cursor: (last: R) => string): { rows: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { rows: page, nextCursor: rows.length > limit && last !== undefined ? cursor(last) : null };
}

/** A row's place in a list sorted by (created_at, id): both, as the database keeps them. */
export type TimeIdPosition = { createdAt: Date; id: string };

// created_at has millisecond precision (timestamptz(3)), exactly what an ISO string keeps.
const CREATED_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID_TEXT = /^[0-9a-f-]{36}$/;

/**
 * Prisma's `where` for the rows after `after` in a list sorted newest first, ties by id
 * ascending (`orderBy: NEWEST_FIRST`); every row when `after` is undefined.
 */
export function newestFirstAfter(after: TimeIdPosition | undefined) {
  return after ? { createdAt: { lte: after.createdAt }, OR: [{ createdAt: { lt: after.createdAt } }, { id: { gt: after.id } }] } : {};
}

/** The order newestFirstAfter pages through. */
export const NEWEST_FIRST = [{ createdAt: 'desc' as const }, { id: 'asc' as const }];

/** The cursor naming a row by (created_at, id): base64url of "<created_at ISO>|<id>". */
export function encodeTimeIdCursor(p: TimeIdPosition): string {
  return cursorOf([p.createdAt.toISOString(), p.id]);
}

export function decodeTimeIdCursor(cursor: string): TimeIdPosition | undefined {
  const [iso, id] = cursorParts(cursor, 2) ?? [];
  if (iso === undefined || id === undefined || !CREATED_AT.test(iso) || !UUID_TEXT.test(id) || !isUuid(id)) return undefined;
  const createdAt = new Date(iso);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== iso) return undefined;
  return { createdAt, id };
}

/**
 * One page of a list the API holds whole (an engine's answer, already sorted by a unique
 * key): the rows strictly after `after` (`isAfter(row, after)`), `limit` of them. The same
 * keyset contract as the database lists: a row added or removed never shifts a page.
 */
export function pageAfter<R, P>(
  sorted: readonly R[],
  page: { limit: number; after: P | undefined },
  isAfter: (row: R, after: P) => boolean,
  cursor: (last: R) => string,
): { rows: R[]; nextCursor: string | null } {
  const { limit, after } = page;
  const rest = after === undefined ? sorted : sorted.filter((row) => isAfter(row, after));
  return pageOf(rest.slice(0, limit + 1), limit, cursor);
}
