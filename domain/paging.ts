// Keyset pagination, one convention for every list: `limit` rows (1–100, default
// 20) after an opaque `cursor` naming the last row of the previous page, and
// `nextCursor` null on the last page. Each list fetches one row more than it
// shows, so "is there another page?" costs nothing extra.
import { InvalidInputError } from './errors.js';

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
export function pageRequest<P>(query: PageQuery, decode: (cursor: string) => P | undefined, filterErrors: FieldError[] = []): { limit: number; after: P | undefined } {
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
