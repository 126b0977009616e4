// BPMN timer definitions with Zeebe (Camunda 8) semantics:
// https://docs.camunda.io/docs/components/modeler/bpmn/timer-events/
//
// - timeDuration: ISO 8601 duration (PT15S, P14D, P1DT2H30M, PT0.5S, P1Y, -PT5S). Years and months
//   are calendar-based (added in UTC, clamping to the month's last day like java.time.Period);
//   weeks, days and the time part are exact (a UTC day is always 24 h). A zero or negative
//   duration is due at once.
// - timeDate: ISO 8601 date-time with a UTC offset or Z, optionally followed by a zone id in
//   brackets, which is ignored (the offset fixes the instant, as in java.time.ZonedDateTime).
//   A date-time without offset is ambiguous and rejected.
// - timeCycle: ISO 8601 repeating interval R[n]/[start/]duration. Cron expressions (Zeebe 8.1+)
//   are not supported and are rejected.
//
// Values arrive here after FEEL evaluation; only strings (and a Date for timeDate) are handled.
// Time resolution is the millisecond: finer fractions of a second are truncated.

export type TimerSpec =
  | { kind: 'duration'; duration: string }
  | { kind: 'date'; date: string | Date }
  | { kind: 'cycle'; cycle: string };

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

const MS_PER_SECOND = 1000;
const MS_PER_MINUTE = 60 * MS_PER_SECOND;
const MS_PER_HOUR = 60 * MS_PER_MINUTE;
const MS_PER_DAY = 24 * MS_PER_HOUR;
/** ECMAScript Date range: ±100,000,000 days around the epoch. */
const MAX_EPOCH_MS = 8.64e15;

const DURATION_EXAMPLES = 'e.g. PT15S, PT10M, P14D, P1DT2H30M, PT0.5S';
const DATE_EXAMPLES = 'e.g. 2019-10-01T12:00:00Z or 2019-10-02T08:09:40+02:00[Europe/Berlin]';
const CYCLE_EXAMPLES = 'e.g. R5/PT10S, R/PT1M or R3/2026-01-01T00:00:00Z/PT1H';

/**
 * Fields in java.time order; the fraction (up to nanoseconds, as java.time.Duration accepts)
 * is allowed on seconds only, with '.' or ','.
 */
const DURATION_PATTERN =
  /^([-+]?)P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:[.,](\d{1,9}))?S)?)?$/i;

interface DurationParts extends ParsedDuration {
  /** The seconds component in whole milliseconds (fraction truncated), exact. */
  secondsMs: number;
}

function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function describeType(value: unknown): string {
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

function parseDurationParts(iso: unknown, label = 'ISO 8601 duration'): DurationParts {
  if (typeof iso !== 'string') {
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(iso)}: expected a string (${DURATION_EXAMPLES}), got ${describeType(iso)}`,
      iso,
    );
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
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(iso)}: 'T' must be followed by at least one of H, M, S (${DURATION_EXAMPLES})`,
      iso,
    );
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

function daysInMonth(year: number, monthIndex: number): number {
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

function checkedDate(epochMs: number, what: string, value: unknown): Date {
  if (!Number.isFinite(epochMs) || Math.abs(epochMs) > MAX_EPOCH_MS) {
    throw new TimerDefinitionError(`${what} ${quote(value)} lies outside the representable date range`, value);
  }
  return new Date(epochMs);
}

function assertValidDate(date: unknown, name: string): asserts date is Date {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TimerDefinitionError(`Invalid ${name} ${quote(date)}: expected a valid Date`, date);
  }
}

function applyDuration(date: Date, parts: DurationParts, what: string, value: unknown): Date {
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

function isPositive(parts: DurationParts): boolean {
  if (parts.negative) return false;
  return parts.years + parts.months + parts.weeks + parts.days + parts.hours + parts.minutes + parts.secondsMs > 0;
}

// ---------------------------------------------------------------------------------------------
// timeDate

const DATE_TIME_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?(?:\[([^\][\s]+)\])?$/i;

function parseDateTime(raw: unknown, label: string): Date {
  if (raw instanceof Date) {
    if (Number.isNaN(raw.getTime())) {
      throw new TimerDefinitionError(`Invalid ${label} ${quote(raw)}: the Date is invalid`, raw);
    }
    return new Date(raw.getTime());
  }
  if (typeof raw !== 'string') {
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(raw)}: expected an ISO 8601 date-time string (${DATE_EXAMPLES}), got ${describeType(raw)}`,
      raw,
    );
  }
  const text = raw.trim();
  if (text === '') {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(raw)}: value is empty (${DATE_EXAMPLES})`, raw);
  }
  const m = DATE_TIME_PATTERN.exec(text);
  if (!m) {
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(raw)}: expected an ISO 8601 date-time with UTC offset (${DATE_EXAMPLES})`,
      raw,
    );
  }
  const [, ys, mos, ds, hs, mis, ss, frac, zulu, offSign, ohs, oms, oss] = m;
  if (zulu === undefined && offSign === undefined) {
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(raw)}: the date-time has no UTC offset, so its instant is ambiguous; ` +
        `add Z or an offset such as +02:00 (${DATE_EXAMPLES})`,
      raw,
    );
  }
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = Number(hs);
  const minute = Number(mis);
  const second = Number(ss ?? '0');
  const millis = Number((frac ?? '').padEnd(3, '0').slice(0, 3));
  const offsetHours = Number(ohs ?? '0');
  const offsetMinutes = Number(oms ?? '0');
  const offsetSeconds = Number(oss ?? '0');
  const invalid =
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month - 1) ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 18 ||
    offsetMinutes > 59 ||
    offsetSeconds > 59 ||
    (offsetHours === 18 && offsetMinutes + offsetSeconds > 0);
  if (invalid) {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(raw)}: a date, time or offset field is out of range`, raw);
  }
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, millis);
  const offsetMs =
    (offSign === '-' ? -1 : 1) * (offsetHours * MS_PER_HOUR + offsetMinutes * MS_PER_MINUTE + offsetSeconds * MS_PER_SECOND);
  return checkedDate(local.getTime() - offsetMs, `Invalid ${label}`, raw);
}

// ---------------------------------------------------------------------------------------------
// timeCycle

const CRON_MACRO = /^@(?:yearly|annually|monthly|weekly|daily|midnight|hourly|reboot)$/i;
const CRON_FIELD =
  /^(?:[\d*?,/#LW-]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|MON|TUE|WED|THU|FRI|SAT|SUN)+$/i;

function looksLikeCron(text: string): boolean {
  if (CRON_MACRO.test(text)) return true;
  const fields = text.split(/\s+/);
  return fields.length >= 5 && fields.length <= 7 && fields.every((f) => CRON_FIELD.test(f));
}

interface ParsedCycle {
  repetitions: number | null;
  start: Date | undefined;
  interval: string;
}

function parseCycle(raw: unknown): ParsedCycle {
  const label = 'timeCycle';
  if (typeof raw !== 'string') {
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(raw)}: expected an ISO 8601 repeating interval string (${CYCLE_EXAMPLES}), got ${describeType(raw)}`,
      raw,
    );
  }
  const text = raw.trim();
  if (text === '') {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(raw)}: value is empty (${CYCLE_EXAMPLES})`, raw);
  }
  if (looksLikeCron(text)) {
    throw new TimerDefinitionError(
      `Unsupported ${label} ${quote(raw)}: cron expressions are not supported by this engine; ` +
        `use an ISO 8601 repeating interval (${CYCLE_EXAMPLES})`,
      raw,
    );
  }
  const m = /^R(\d*)\/(.*)$/i.exec(text);
  if (!m) {
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(raw)}: expected an ISO 8601 repeating interval R[n]/[start/]duration (${CYCLE_EXAMPLES})`,
      raw,
    );
  }
  const [, count = '', rest = ''] = m;
  let repetitions: number | null = null;
  if (count !== '') {
    repetitions = Number(count);
    if (!Number.isSafeInteger(repetitions) || repetitions < 1) {
      throw new TimerDefinitionError(
        `Invalid ${label} ${quote(raw)}: the repetition count must be at least 1 (or omitted for an infinite cycle)`,
        raw,
      );
    }
  }
  // [start/]duration; a start date's bracketed zone id may itself contain '/' (Europe/Berlin).
  const form = /^(?:([^/[]*(?:\[[^\]]*\])?)\/)?([^/]*)$/.exec(rest);
  const startText = form?.[1];
  const interval = form?.[2] ?? '';
  const isDuration = (part: string): boolean => /^[-+]?P/i.test(part);
  if (!form || (startText !== undefined && (isDuration(startText) || !isDuration(interval)))) {
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(raw)}: only the forms R[n]/duration and R[n]/start/duration are supported ` +
        `(no end date) (${CYCLE_EXAMPLES})`,
      raw,
    );
  }
  const start = startText === undefined ? undefined : parseDateTime(startText, `${label} ${quote(raw)} start date`);
  validateCycleInterval(interval, `${label} ${quote(raw)} interval`);
  return { repetitions, start, interval };
}

function validateCycleInterval(interval: string, label: string): DurationParts {
  const parts = parseDurationParts(interval, label);
  if (!isPositive(parts)) {
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(interval)}: a cycle interval must be a positive duration`,
      interval,
    );
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Scheduling

/** When the timer first fires, counted from `from`, and how many more repetitions follow (null = infinite, 0 = none). */
export function firstDue(
  spec: TimerSpec,
  from: Date,
): { dueAt: Date; repetitionsLeft: number | null; interval?: string } {
  assertValidDate(from, 'from');
  switch (spec.kind) {
    case 'duration': {
      const parts = parseDurationParts(spec.duration, 'timeDuration');
      const dueAt = applyDuration(from, parts, 'timeDuration', spec.duration);
      // Zero or negative: due now.
      return { dueAt: dueAt.getTime() < from.getTime() ? new Date(from.getTime()) : dueAt, repetitionsLeft: 0 };
    }
    case 'date':
      // A date in the past is simply due at once; it is reported as is.
      return { dueAt: parseDateTime(spec.date, 'timeDate'), repetitionsLeft: 0 };
    case 'cycle': {
      const cycle = parseCycle(spec.cycle);
      const dueAt = cycle.start ?? addDuration(from, cycle.interval);
      return {
        dueAt,
        repetitionsLeft: cycle.repetitions === null ? null : cycle.repetitions - 1,
        interval: cycle.interval,
      };
    }
    default: {
      const kind: unknown = (spec as { kind?: unknown }).kind;
      throw new TimerDefinitionError(
        `Invalid timer definition: unknown kind ${quote(kind)} (expected duration, date or cycle)`,
        spec,
      );
    }
  }
}

/**
 * For a cycle after firing at `firedAt` with `repetitionsLeft` > 0 or null: the next due time,
 * or undefined when the cycle is exhausted. Pass the scheduled due time as `firedAt` (not the
 * wall-clock time the job ran) so that the cycle does not drift.
 */
export function nextCycleDue(
  interval: string,
  firedAt: Date,
  repetitionsLeft: number | null,
): { dueAt: Date; repetitionsLeft: number | null } | undefined {
  assertValidDate(firedAt, 'firedAt');
  if (repetitionsLeft !== null && (!Number.isSafeInteger(repetitionsLeft) || repetitionsLeft < 0)) {
    throw new TimerDefinitionError(
      `Invalid repetitionsLeft ${quote(repetitionsLeft)}: expected a non-negative integer or null`,
      repetitionsLeft,
    );
  }
  const parts = validateCycleInterval(interval, 'timeCycle interval');
  if (repetitionsLeft === 0) return undefined;
  return {
    dueAt: applyDuration(firedAt, parts, 'timeCycle interval', interval),
    repetitionsLeft: repetitionsLeft === null ? null : repetitionsLeft - 1,
  };
}
