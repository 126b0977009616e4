// Small checks the plugins' validateSettings share. Settings arrive as JSON from the
// admin API, so anything may be in them: these read defensively and never throw.
import type { SettingProblem } from '../../domain/shipments/dispatcher.js';

/** A JSON object: not null, not an array, not a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A key or value shown in a message: quoted, cut short, so a hostile one cannot flood a response or a log. */
export function shown(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : String(typeof value);
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** A key as a field name; cut short for the same reason. */
export function fieldOf(key: string, max = 60): string {
  return key.length > max ? `${key.slice(0, max)}…` : key;
}

/** One problem per own key the plugin does not know: a typo must not pass silently as "default". */
export function unknownKeys(settings: Record<string, unknown>, known: readonly string[]): SettingProblem[] {
  return Object.keys(settings)
    .filter((key) => !known.includes(key))
    .map((key) => ({ field: fieldOf(key), message: `unknown setting ${shown(key)}; known: ${known.length ? known.join(', ') : 'none'}` }));
}

/** An own property only (never one inherited, such as `constructor`). */
export function own(settings: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(settings, key) ? settings[key] : undefined;
}

/** Controls (NUL…), whitespace and lone surrogates: URL and address parsers drop, fold or re-encode them silently. */
export const CONTROL_OR_SPACE = /[\p{Cc}\p{Cs}\s]/u;

// The HTML standard's "valid e-mail address": one address, no display name, no comment, no list.
const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** One plain address (a comma would be a second recipient); at most 254 characters, as SMTP allows. */
export function isEmailAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 254 && EMAIL.test(value);
}
