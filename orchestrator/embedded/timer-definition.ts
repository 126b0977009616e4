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

export type TimerSpec = { kind: 'duration'; duration: string } | { kind: 'date'; date: string | Date } | { kind: 'cycle'; cycle: string };

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
      `Unsupported ${label} ${quote(raw)}: cron expressions are not supported by this engine; ` + `use an ISO 8601 repeating interval (${CYCLE_EXAMPLES})`,
      raw,
    );
  }
  const m = /^R(\d*)\/(.*)$/i.exec(text);
  if (!m) {
    throw new TimerDefinitionError(`Invalid ${label} ${quote(raw)}: expected an ISO 8601 repeating interval R[n]/[start/]duration (${CYCLE_EXAMPLES})`, raw);
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
  return { repetitions, start, interval };
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
 * wall-clock time the job ran) so that the cycle does not drift.
 */
export function nextCycleDue(interval: string, firedAt: Date, repetitionsLeft: number | null): { dueAt: Date; repetitionsLeft: number | null } | undefined {
  assertValidDate(firedAt, 'firedAt');
  if (repetitionsLeft !== null && (!Number.isSafeInteger(repetitionsLeft) || repetitionsLeft < 0)) {
    throw new TimerDefinitionError(`Invalid repetitionsLeft ${quote(repetitionsLeft)}: expected a non-negative integer or null`, repetitionsLeft);
  }
  const parts = validateCycleInterval(interval, 'timeCycle interval');
  if (repetitionsLeft === 0) return undefined;
  return {
    dueAt: applyDuration(firedAt, parts, 'timeCycle interval', interval),
    repetitionsLeft: repetitionsLeft === null ? null : repetitionsLeft - 1,
  };
}
