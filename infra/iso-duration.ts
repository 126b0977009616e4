// ISO 8601 durations (PT15S, P14D, P1DT2H30M, PT0.5S, P1Y, -PT5S) with java.time semantics,
// as Zeebe (Camunda 8) reads a timer's timeDuration. Years and months are calendar-based
// (added in UTC, clamping to the month's last day like java.time.Period); weeks, days and
// the time part are exact (a UTC day is always 24 h). Time resolution is the millisecond:
// finer fractions of a second are truncated.
// Pure, so both the configuration (infra/config.ts) and the embedded engine's timers
// (orchestrator/embedded/timer-definition.ts, which re-exports the public part) use it.

export class TimerDefinitionError extends Error {
  /** The offending value, as given. */
  readonly value: unknown;

  constructor(message: string, value?: unknown) {
    super(message);
    this.name = 'TimerDefinitionError';
    this.value = value;
  }
}

export interface ParsedDuration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
  negative: boolean;
}

export const MS_PER_SECOND = 1000;
export const MS_PER_MINUTE = 60 * MS_PER_SECOND;
export const MS_PER_HOUR = 60 * MS_PER_MINUTE;
export const MS_PER_DAY = 24 * MS_PER_HOUR;
/** ECMAScript Date range: ±100,000,000 days around the epoch. */
export const MAX_EPOCH_MS = 8.64e15;

export const DURATION_EXAMPLES = 'e.g. PT15S, PT10M, P14D, P1DT2H30M, PT0.5S';
export const DATE_EXAMPLES = 'e.g. 2019-10-01T12:00:00Z or 2019-10-02T08:09:40+02:00[Europe/Berlin]';
export const CYCLE_EXAMPLES = 'e.g. R5/PT10S, R/PT1M or R3/2026-01-01T00:00:00Z/PT1H';

/**
 * Fields in java.time order; the fraction (up to nanoseconds, as java.time.Duration accepts)
 * is allowed on seconds only, with '.' or ','.
 */
const DURATION_PATTERN = /^([-+]?)P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d{1,9}))?S)?)?$/i;

export interface DurationParts extends ParsedDuration {
  /** The seconds component in whole milliseconds (fraction truncated), exact. */
  secondsMs: number;
}

export function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) return 'Date';
  return typeof value === 'object' ? 'object' : typeof value;
}

function toSafeInteger(digits: string | undefined, label: string, raw: string): number {
  if (digits === undefined) return 0;
  const n = Number(digits);
  if (!Number.isSafeInteger(n)) {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(raw)}: component ${digits} is too large`, raw);
  }
  return n;
}

function durationHint(text: string): string {
  const body = text.replace(/^[-+]/, '');
  if (!/^P/i.test(body)) return `must start with 'P' (${DURATION_EXAMPLES})`;
  if (/^P[^T]*\d[HS]/i.test(body)) {
    return `hours, minutes and seconds must follow 'T' (e.g. PT1H rather than P1H)`;
  }
  if (/[.,]\d*[YMWDH]/i.test(body)) return 'only the seconds component may have a fraction';
  if (/-/.test(body)) return "a negative duration takes a single leading '-' (e.g. -PT10S)";
  return `not an ISO 8601 duration (${DURATION_EXAMPLES})`;
}

export function parseDurationParts(iso: unknown, label = 'ISO 8601 duration'): DurationParts {
  if (typeof iso !== 'string') {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(iso)}: expected a string (${DURATION_EXAMPLES}), got ${describeType(iso)}`, iso);
  }
  const text = iso.trim();
  if (text === '') {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(iso)}: value is empty (${DURATION_EXAMPLES})`, iso);
  }
  const m = DURATION_PATTERN.exec(text);
  if (!m) {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(iso)}: ${durationHint(text)}`, iso);
  }
  const [, sign, y, mo, w, d, timePart, h, mi, s, frac] = m;
  const hasDate = [y, mo, w, d].some((v) => v !== undefined);
  const hasTime = [h, mi, s].some((v) => v !== undefined);
  if (timePart !== undefined && !hasTime) {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(iso)}: 'T' must be followed by at least one of H, M, S (${DURATION_EXAMPLES})`, iso);
  }
  if (!hasDate && !hasTime) {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(iso)}: no components after 'P' (${DURATION_EXAMPLES})`, iso);
  }
  const wholeSeconds = toSafeInteger(s, label, iso);
  const fraction = frac ?? '';
  const secondsMs = wholeSeconds * MS_PER_SECOND + Number(fraction.padEnd(3, '0').slice(0, 3));
  if (!Number.isSafeInteger(secondsMs)) {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(iso)}: component ${s ?? ''} is too large`, iso);
  }
  return {
    years: toSafeInteger(y, label, iso),
    months: toSafeInteger(mo, label, iso),
    weeks: toSafeInteger(w, label, iso),
    days: toSafeInteger(d, label, iso),
    hours: toSafeInteger(h, label, iso),
    minutes: toSafeInteger(mi, label, iso),
    seconds: fraction === '' ? wholeSeconds : Number(`${wholeSeconds}.${fraction}`),
    negative: sign === '-',
    secondsMs,
  };
}

/** Parses an ISO 8601 duration (Zeebe timeDuration); throws TimerDefinitionError naming the value. */
export function parseDuration(iso: string): ParsedDuration {
  const { secondsMs: _secondsMs, ...parsed } = parseDurationParts(iso);
  return parsed;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, monthIndex: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][monthIndex] ?? 31;
}

/** Adds calendar months in UTC, clamping the day to the target month's length (java.time.Period). */
function addMonthsUtc(epochMs: number, months: number): number {
  if (months === 0) return epochMs;
  const date = new Date(epochMs);
  const total = date.getUTCMonth() + months;
  const year = date.getUTCFullYear() + Math.floor(total / 12);
  const month = ((total % 12) + 12) % 12;
  const day = Math.min(date.getUTCDate(), daysInMonth(year, month));
  date.setUTCFullYear(year, month, day);
  return date.getTime();
}

export function checkedDate(epochMs: number, what: string, value: unknown): Date {
  if (!Number.isFinite(epochMs) || Math.abs(epochMs) > MAX_EPOCH_MS) {
    throw new TimerDefinitionError(`${what} ${quote(value)} lies outside the representable date range`, value);
  }
  return new Date(epochMs);
}

export function assertValidDate(date: unknown, name: string): asserts date is Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TimerDefinitionError(`Invalid ${name} ${quote(date)}: expected a valid Date`, date);
  }
}

export function applyDuration(date: Date, parts: DurationParts, what: string, value: unknown): Date {
  const sign = parts.negative ? -1 : 1;
  // java.time.Period.addTo: total months first, then days; then the time part (Duration).
  const totalMonths = parts.years * 12 + parts.months;
  const days = parts.weeks * 7 + parts.days;
  const timeMs = parts.hours * MS_PER_HOUR + parts.minutes * MS_PER_MINUTE + parts.secondsMs;
  if (Math.abs(totalMonths) > 12 * 300_000 || days * MS_PER_DAY + timeMs > 2 * MAX_EPOCH_MS) {
    throw new TimerDefinitionError(`${what} ${quote(value)} lies outside the representable date range`, value);
  }
  const afterMonths = addMonthsUtc(date.getTime(), sign * totalMonths);
  return checkedDate(afterMonths + sign * (days * MS_PER_DAY + timeMs), what, value);
}

/** `date` plus the ISO 8601 duration `iso` (calendar years/months in UTC; negative durations subtract). */
export function addDuration(date: Date, iso: string): Date {
  assertValidDate(date, 'date');
  return applyDuration(date, parseDurationParts(iso), 'ISO 8601 duration', iso);
}

export function isPositive(parts: DurationParts): boolean {
  if (parts.negative) return false;
  return parts.years + parts.months + parts.weeks + parts.days + parts.hours + parts.minutes + parts.secondsMs > 0;
}
