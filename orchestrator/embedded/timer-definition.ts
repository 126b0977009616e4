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
// - timeCycle: ISO 8601 repeating interval R[n]/[start/]duration, or (Zeebe 8.1+) a cron expression
//   in Spring's 6-field format, second minute hour day-of-month month day-of-week (0 0 9 * * MON-FRI),
//   with Spring's macros (@daily, …). A cron cycle repeats forever, each time at the next match after
//   the previous due time, read in UTC (Zeebe: the broker's default zone, UTC in Camunda's images).
//
// Values arrive here after FEEL evaluation; only strings (and a Date for timeDate) are handled.
// Time resolution is the millisecond: finer fractions of a second are truncated.

export type TimerSpec = { kind: 'duration'; duration: string } | { kind: 'date'; date: string | Date } | { kind: 'cycle'; cycle: string };

import { Cron } from 'croner';
import {
  addDuration,
  applyDuration,
  assertValidDate,
  checkedDate,
  CYCLE_EXAMPLES,
  daysInMonth,
  DATE_EXAMPLES,
  describeType,
  isPositive,
  MS_PER_HOUR,
  MS_PER_MINUTE,
  MS_PER_SECOND,
  parseDuration,
  parseDurationParts,
  quote,
  TimerDefinitionError,
  type DurationParts,
  type ParsedDuration,
} from '../../infra/iso-duration.js';

// The duration part lives in infra/iso-duration.ts (the configuration parses durations too).
export { addDuration, parseDuration, TimerDefinitionError, type ParsedDuration };

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
    throw new TimerDefinitionError(`Invalid ${label} ${quote(raw)}: expected an ISO 8601 date-time string (${DATE_EXAMPLES}), got ${describeType(raw)}`, raw);
  }
  const text = raw.trim();
  if (text === '') {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(raw)}: value is empty (${DATE_EXAMPLES})`, raw);
  }
  const m = DATE_TIME_PATTERN.exec(text);
  if (!m) {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(raw)}: expected an ISO 8601 date-time with UTC offset (${DATE_EXAMPLES})`, raw);
  }
  const [, ys, mos, ds, hs, mis, ss, frac, zulu, offSign, ohs, oms, oss] = m;
  if (zulu === undefined && offSign === undefined) {
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(raw)}: the date-time has no UTC offset, so its instant is ambiguous; ` + `add Z or an offset such as +02:00 (${DATE_EXAMPLES})`,
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
  const offsetMs = (offSign === '-' ? -1 : 1) * (offsetHours * MS_PER_HOUR + offsetMinutes * MS_PER_MINUTE + offsetSeconds * MS_PER_SECOND);
  return checkedDate(local.getTime() - offsetMs, `Invalid ${label}`, raw);
}

// ---------------------------------------------------------------------------------------------
// timeCycle

const CRON_MACRO = /^@(?:yearly|annually|monthly|weekly|daily|midnight|hourly|reboot)$/i;
const CRON_FIELD = /^(?:[\d*?,/#LW-]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|MON|TUE|WED|THU|FRI|SAT|SUN)+$/i;

function looksLikeCron(text: string): boolean {
  if (CRON_MACRO.test(text)) return true;
  const fields = text.split(/\s+/);
  return fields.length >= 5 && fields.length <= 7 && fields.every((f) => CRON_FIELD.test(f));
}

// Spring's macros, as the 6-field expressions Spring documents for them (@reboot is not one).
const SPRING_MACROS: Record<string, string> = {
  '@yearly': '0 0 0 1 1 *',
  '@annually': '0 0 0 1 1 *',
  '@monthly': '0 0 0 1 * *',
  '@weekly': '0 0 0 * * 0',
  '@daily': '0 0 0 * * *',
  '@midnight': '0 0 0 * * *',
  '@hourly': '0 0 * * * *',
};

/**
 * A cron cycle as Zeebe reads it (Spring's CronExpression rules): exactly 6 fields, `?` as a
 * wildcard, names of months and days, L, W and #, `n/step` steps, Sunday as 0 or 7, and a day
 * that must match both day-of-month and day-of-week when both are given. Times are UTC.
 */
function parseCron(text: string, label: string): Cron {
  const pattern = SPRING_MACROS[text.toLowerCase()] ?? text;
  try {
    return new Cron(pattern, { mode: '6-part', timezone: 'UTC', domAndDow: true, sloppyRanges: true });
  } catch (err) {
    const fields = pattern.split(/\s+/).length;
    const why =
      fields === 6
        ? (err as Error).message.replace(/^CronPattern:\s*/, '')
        : `a cron cycle has 6 fields (second minute hour day-of-month month day-of-week, e.g. 0 0 9 * * MON-FRI), not ${fields}`;
    throw new TimerDefinitionError(`Invalid ${label} ${quote(text)}: ${why}`, text);
  }
}

/** The cron cycle's first match after `after`, or undefined when the expression never matches again. */
function nextCronMatch(text: string, after: Date, label: string): Date | undefined {
  return parseCron(text, label).nextRun(after) ?? undefined;
}

type ParsedCycle = { kind: 'iso'; repetitions: number | null; start: Date | undefined; interval: string } | { kind: 'cron'; cron: string };

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
  if (looksLikeCron(text)) return { kind: 'cron', cron: text };
  const m = /^R(\d*)\/(.*)$/i.exec(text);
  if (!m) {
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(raw)}: expected an ISO 8601 repeating interval R[n]/[start/]duration (${CYCLE_EXAMPLES}) ` +
        `or a 6-field cron expression (e.g. 0 0 9 * * MON-FRI)`,
      raw,
    );
  }
  const [, count = '', rest = ''] = m;
  let repetitions: number | null = null;
  if (count !== '') {
    repetitions = Number(count);
    if (!Number.isSafeInteger(repetitions) || repetitions < 1) {
      throw new TimerDefinitionError(`Invalid ${label} ${quote(raw)}: the repetition count must be at least 1 (or omitted for an infinite cycle)`, raw);
    }
  }
  // [start/]duration; a start date's bracketed zone id may itself contain '/' (Europe/Berlin).
  const form = /^(?:([^/[]*(?:\[[^\]]*\])?)\/)?([^/]*)$/.exec(rest);
  const startText = form?.[1];
  const interval = form?.[2] ?? '';
  const isDuration = (part: string): boolean => /^[-+]?P/i.test(part);
  if (!form || (startText !== undefined && (isDuration(startText) || !isDuration(interval)))) {
    throw new TimerDefinitionError(
      `Invalid ${label} ${quote(raw)}: only the forms R[n]/duration and R[n]/start/duration are supported ` + `(no end date) (${CYCLE_EXAMPLES})`,
      raw,
    );
  }
  const start = startText === undefined ? undefined : parseDateTime(startText, `${label} ${quote(raw)} start date`);
  validateCycleInterval(interval, `${label} ${quote(raw)} interval`);
  return { kind: 'iso', repetitions, start, interval };
}

function validateCycleInterval(interval: string, label: string): DurationParts {
  const parts = parseDurationParts(interval, label);
  if (!isPositive(parts)) {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(interval)}: a cycle interval must be a positive duration`, interval);
  }
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Scheduling

/** When the timer first fires, counted from `from`, and how many more repetitions follow (null = infinite, 0 = none). */
export function firstDue(spec: TimerSpec, from: Date): { dueAt: Date; repetitionsLeft: number | null; interval?: string } {
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
      if (cycle.kind === 'cron') {
        const next = nextCronMatch(cycle.cron, from, 'timeCycle');
        // Zeebe: an expression with no match left is due at once, and only once.
        return next ? { dueAt: next, repetitionsLeft: null, interval: cycle.cron } : { dueAt: new Date(from.getTime()), repetitionsLeft: 0 };
      }
      const dueAt = cycle.start ?? addDuration(from, cycle.interval);
      return {
        dueAt,
        repetitionsLeft: cycle.repetitions === null ? null : cycle.repetitions - 1,
        interval: cycle.interval,
      };
    }
    default: {
      const kind: unknown = (spec as { kind?: unknown }).kind;
      throw new TimerDefinitionError(`Invalid timer definition: unknown kind ${quote(kind)} (expected duration, date or cycle)`, spec);
    }
  }
}

/**
 * For a cycle after firing at `firedAt` with `repetitionsLeft` > 0 or null: the next due time,
 * or undefined when the cycle is exhausted. Pass the scheduled due time as `firedAt` (not the
 * wall-clock time the job ran) so that the cycle does not drift. `interval` is an ISO 8601
 * duration, or a cron expression (then the next match after `firedAt`; repetitionsLeft stays null).
 */
export function nextCycleDue(interval: string, firedAt: Date, repetitionsLeft: number | null): { dueAt: Date; repetitionsLeft: number | null } | undefined {
  assertValidDate(firedAt, 'firedAt');
  if (repetitionsLeft !== null && (!Number.isSafeInteger(repetitionsLeft) || repetitionsLeft < 0)) {
    throw new TimerDefinitionError(`Invalid repetitionsLeft ${quote(repetitionsLeft)}: expected a non-negative integer or null`, repetitionsLeft);
  }
  if (looksLikeCron(interval)) {
    const next = nextCronMatch(interval, firedAt, 'timeCycle');
    return next && repetitionsLeft !== 0 ? { dueAt: next, repetitionsLeft } : undefined;
  }
  const parts = validateCycleInterval(interval, 'timeCycle interval');
  if (repetitionsLeft === 0) return undefined;
  return {
    dueAt: applyDuration(firedAt, parts, 'timeCycle interval', interval),
    repetitionsLeft: repetitionsLeft === null ? null : repetitionsLeft - 1,
  };
}
