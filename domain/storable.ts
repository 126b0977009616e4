// What the database can store of what comes from outside. PostgreSQL refuses U+0000 in
// text and in jsonb, and it stores UTF-8, in which an unpaired UTF-16 surrogate has no
// form (one driver fails, another would store U+FFFD). So every text that comes in (a
// body's field, a query or path parameter, a provider's event) is refused at the edge, by
// name, before it can fail a query or change silently: one text type for every schema.
// JSON kept as it was received is walked whole, and refused when it nests deeper than any
// real event does: PGlite's jsonb parser overflows its stack at about 800 levels (and takes
// the embedded database down with it), PostgreSQL's and JSON.stringify a little deeper.
import { z } from 'zod';

export const UNSTORABLE_TEXT = 'must not contain NUL characters or unpaired UTF-16 surrogates';
export const MAX_JSON_DEPTH = 32;

// A NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isStorableText(value: string): boolean {
  return !UNSTORABLE.test(value);
}

/** z.string() for text that comes in: anything the database cannot store is refused with UNSTORABLE_TEXT, and no other check runs. */
export function storableText(params?: Parameters<typeof z.string>[0]) {
  return z.string(params).refine(isStorableText, { error: UNSTORABLE_TEXT, abort: true });
}

/** A key as a field name: as is when storable, else JSON-escaped (a NUL shows as \u0000). */
const keyName = (key: string) => (isStorableText(key) ? key : JSON.stringify(key).slice(1, -1));

/**
 * What in a JSON value the database cannot store: strings and keys (UNSTORABLE_TEXT), and
 * arrays or objects nested deeper than MAX_JSON_DEPTH, each named by its path
 * (`data.items[1].name`). Iterative: a body may nest deeper than the call stack goes.
 */
export function unstorableJsonFields(value: unknown): { field: string; message: string }[] {
  const found: { field: string; message: string }[] = [];
  const pending: [unknown, string, number][] = [[value, '', 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, path, depth] = next;
    if (typeof item === 'string') {
      if (!isStorableText(item)) found.push({ field: path || 'body', message: UNSTORABLE_TEXT });
    } else if (item !== null && typeof item === 'object' && depth >= MAX_JSON_DEPTH) {
      found.push({ field: path || 'body', message: `nests deeper than ${MAX_JSON_DEPTH} levels` });
    } else if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) pending.push([item[i], `${path}[${i}]`, depth + 1]);
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item).reverse()) {
        const field = path ? `${path}.${keyName(key)}` : keyName(key);
        pending.push([child, field, depth + 1]);
        if (!isStorableText(key)) pending.push([key, field, depth + 1]);
      }
    }
  }
  return found;
}
