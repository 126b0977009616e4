// Zeebe timer rules: https://docs.camunda.io/docs/components/modeler/bpmn/timer-events/
// Every expected instant below is worked out by hand from the input.
import { describe, expect, test } from '@jest/globals';
import { addDuration, firstDue, nextCycleDue, parseDuration, TimerDefinitionError, type TimerSpec } from '../../orchestrator/embedded/timer-definition.js';

const at = (iso: string): Date => new Date(iso);

/** Calls `fn` and returns the TimerDefinitionError it throws (fails the test otherwise). */
function timerError(fn: () => unknown): TimerDefinitionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TimerDefinitionError);
    return err as TimerDefinitionError;
  }
  throw new Error('expected a TimerDefinitionError, but nothing was thrown');
}

/** Fires a cycle to exhaustion (at most `limit` times) and returns every due instant. */
function fireAll(spec: TimerSpec, from: Date, limit = 20): string[] {
  const first = firstDue(spec, from);
  const fired = [first.dueAt.toISOString()];
  let due = first.dueAt;
  let left = first.repetitionsLeft;
  while (fired.length < limit) {
    const next = nextCycleDue(first.interval ?? '', due, left);
    if (!next) break;
    fired.push(next.dueAt.toISOString());
    due = next.dueAt;
    left = next.repetitionsLeft;
  }
  return fired;
}

const zero = { years: 0, months: 0, weeks: 0, days: 0, hours: 0, minutes: 0, seconds: 0, negative: false };

describe('parseDuration (Zeebe: timeDuration is an ISO 8601 duration)', () => {
  test.each([
    ['PT15S', { seconds: 15 }],
    ['PT10M', { minutes: 10 }],
    ['P14D', { days: 14 }],
    ['P1DT2H30M', { days: 1, hours: 2, minutes: 30 }],
    ['PT0.5S', { seconds: 0.5 }],
    ['PT1,25S', { seconds: 1.25 }],
    ['P1Y', { years: 1 }],
    ['P2M', { months: 2 }],
    ['P2W', { weeks: 2 }],
    ['P1Y2M3W4DT5H6M7.25S', { years: 1, months: 2, weeks: 3, days: 4, hours: 5, minutes: 6, seconds: 7.25 }],
    ['-PT10S', { seconds: 10, negative: true }],
    ['PT0S', {}],
    ['p1dt2h', { days: 1, hours: 2 }],
  ])('%s parses into its components (Zeebe: timer duration, ISO 8601 duration)', (iso, fields) => {
    expect(parseDuration(iso)).toEqual({ ...zero, ...fields });
  });

  test.each([
    ['', /empty/],
    ['   ', /empty/],
    ['garbage', /must start with 'P'/],
    ['15S', /must start with 'P'/],
    ['P', /no components/],
    ['PT', /'T' must be followed/],
    ['P1H', /must follow 'T'/],
    ['P1D2H', /must follow 'T'/],
    ['PT1.5M', /only the seconds component may have a fraction/],
    ['P1.5D', /only the seconds component may have a fraction/],
    ['P-1D', /single leading '-'/],
    ['PT1S2M', /not an ISO 8601 duration/],
    ['P1DT', /'T' must be followed/],
  ])('%j is rejected with an error naming it (Zeebe: timer duration must be ISO 8601)', (iso, reason) => {
    const err = timerError(() => parseDuration(iso));
    expect(err.message).toContain(`'${iso}'`);
    expect(err.message).toMatch(reason);
    expect(err.value).toBe(iso);
  });

  test('a non-string FEEL result is rejected with its type (Zeebe: timer duration must evaluate to a duration)', () => {
    const err = timerError(() => parseDuration({ seconds: 10 } as unknown as string));
    expect(err.message).toMatch(/expected a string.*got object/);
  });
});

describe('timeDuration (Zeebe: timer duration, ISO 8601 duration from activation)', () => {
  // 2024 is a leap year; 31 January exercises month-end clamping.
  const from = at('2024-01-31T10:00:00.000Z');

  test.each([
    ['PT15S', '2024-01-31T10:00:15.000Z'],
    ['PT10M', '2024-01-31T10:10:00.000Z'],
    ['PT36H', '2024-02-01T22:00:00.000Z'],
    ['P14D', '2024-02-14T10:00:00.000Z'],
    ['P1W', '2024-02-07T10:00:00.000Z'],
    ['P1DT2H30M', '2024-02-01T12:30:00.000Z'],
    ['PT0.5S', '2024-01-31T10:00:00.500Z'],
    ['PT1.0009S', '2024-01-31T10:00:01.000Z'], // sub-millisecond part truncated
    ['PT90M', '2024-01-31T11:30:00.000Z'],
  ])('%s from 2024-01-31T10:00Z is due at %s (Zeebe: timer duration)', (duration, expected) => {
    expect(firstDue({ kind: 'duration', duration }, from)).toEqual({ dueAt: at(expected), repetitionsLeft: 0 });
  });

  test.each([
    ['P1M', '2024-01-31T10:00:00.000Z', '2024-02-29T10:00:00.000Z'], // clamped to the leap day
    ['P1M', '2023-01-31T10:00:00.000Z', '2023-02-28T10:00:00.000Z'], // clamped, non-leap year
    ['P2M', '2024-01-31T10:00:00.000Z', '2024-03-31T10:00:00.000Z'],
    ['P1M1D', '2024-01-31T10:00:00.000Z', '2024-03-01T10:00:00.000Z'], // months first, then days
    ['P13M', '2024-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z'],
    ['P1Y', '2024-01-31T10:00:00.000Z', '2025-01-31T10:00:00.000Z'],
    ['P1Y', '2024-02-29T00:00:00.000Z', '2025-02-28T00:00:00.000Z'],
    ['P4Y', '2024-02-29T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
    ['P1Y2M', '2023-12-15T06:45:00.000Z', '2025-02-15T06:45:00.000Z'],
    ['P1M', '2024-12-31T23:00:00.000Z', '2025-01-31T23:00:00.000Z'], // year rollover
  ])('%s from %s is due at %s (Zeebe: timer duration, years/months are calendar-based)', (duration, start, expected) => {
    expect(firstDue({ kind: 'duration', duration }, at(start)).dueAt).toEqual(at(expected));
    expect(addDuration(at(start), duration)).toEqual(at(expected));
  });

  test.each([
    // Around the EU switch to summer time (2024-03-31 01:00Z): days stay 24 h in UTC.
    ['P1D', '2024-03-30T12:00:00.000Z', '2024-03-31T12:00:00.000Z'],
    ['PT0.5S', '2024-12-31T23:59:59.500Z', '2025-01-01T00:00:00.000Z'],
    ['-PT10S', '2024-01-31T10:00:00.000Z', '2024-01-31T09:59:50.000Z'],
    ['-P1M', '2024-03-31T00:00:00.000Z', '2024-02-29T00:00:00.000Z'],
    ['-P1M1D', '2024-03-31T00:00:00.000Z', '2024-02-28T00:00:00.000Z'],
    ['+PT1H', '2024-01-31T10:00:00.000Z', '2024-01-31T11:00:00.000Z'],
  ])('addDuration(%s) to %s gives %s (Zeebe: timer duration, UTC calendar arithmetic)', (duration, start, expected) => {
    expect(addDuration(at(start), duration)).toEqual(at(expected));
  });

  test.each(['-PT10S', '-P1D', 'PT0S', 'P0D', '-PT0S'])(
    '%s is due immediately, at the activation instant (Zeebe: negative or zero timer duration is due now)',
    (duration) => {
      expect(firstDue({ kind: 'duration', duration }, from)).toEqual({
        dueAt: at('2024-01-31T10:00:00.000Z'),
        repetitionsLeft: 0,
      });
    },
  );

  test.each([
    ['', /empty/],
    ['garbage', /must start with 'P'/],
    ['PT', /'T' must be followed/],
    ['P1H', /must follow 'T'/],
  ])('timeDuration %j is rejected with an error naming it (Zeebe: timer duration must be ISO 8601)', (duration, reason) => {
    const err = timerError(() => firstDue({ kind: 'duration', duration }, from));
    expect(err.message).toContain(`timeDuration '${duration}'`);
    expect(err.message).toMatch(reason);
  });

  test('a duration past the representable date range is rejected (Zeebe: timer duration)', () => {
    const err = timerError(() => addDuration(from, 'P999999Y'));
    expect(err.message).toMatch(/'P999999Y'.*outside the representable date range/);
  });

  test('an invalid start Date is rejected (Zeebe: timer duration counts from activation)', () => {
    expect(timerError(() => addDuration(new Date(Number.NaN), 'PT1S')).message).toMatch(/expected a valid Date/);
    expect(timerError(() => firstDue({ kind: 'duration', duration: 'PT1S' }, new Date('x'))).message).toMatch(/Invalid from/);
  });
});

describe('timeDate (Zeebe: timer date, ISO 8601 date-time with offset)', () => {
  const from = at('2019-09-30T00:00:00.000Z');

  test.each([
    ['2019-10-01T12:00:00Z', '2019-10-01T12:00:00.000Z'],
    ['2019-10-01T12:00:00z', '2019-10-01T12:00:00.000Z'],
    ['2019-10-02T08:09:40+02:00', '2019-10-02T06:09:40.000Z'],
    ['2019-10-02T08:09:40-05:30', '2019-10-02T13:39:40.000Z'],
    ['2019-10-02T00:30:00+02:00', '2019-10-01T22:30:00.000Z'], // offset moves it to the previous day
    ['2019-12-31T23:30:00-01:00', '2020-01-01T00:30:00.000Z'], // ...or into the next year
    ['2019-10-02T08:09:40.123+02:00', '2019-10-02T06:09:40.123Z'],
    ['2019-10-02T08:09:40.123456789Z', '2019-10-02T08:09:40.123Z'], // nanoseconds truncated
    ['2019-10-02T08:09+02:00', '2019-10-02T06:09:00.000Z'], // seconds optional, as in java.time
    ['2019-10-02T08:09:40+00:00', '2019-10-02T08:09:40.000Z'],
    ['2020-02-29T12:00:00Z', '2020-02-29T12:00:00.000Z'],
  ])('%s is due at %s (Zeebe: timer date with offset)', (date, expected) => {
    expect(firstDue({ kind: 'date', date }, from)).toEqual({ dueAt: at(expected), repetitionsLeft: 0 });
  });

  test.each([
    ['2019-10-02T08:09:40+02:00[Europe/Berlin]', '2019-10-02T06:09:40.000Z'],
    ['2019-10-02T08:09:40-04:00[America/New_York]', '2019-10-02T12:09:40.000Z'],
    ['2019-10-02T08:09:40Z[UTC]', '2019-10-02T08:09:40.000Z'],
  ])('%s ignores the zone id and uses the offset: %s (Zeebe: timer date with zone id)', (date, expected) => {
    expect(firstDue({ kind: 'date', date }, from).dueAt).toEqual(at(expected));
  });

  test('a JS Date is used as is (Zeebe: timer date, FEEL date-time value)', () => {
    const date = at('2019-10-01T12:00:00.000Z');
    const due = firstDue({ kind: 'date', date }, from);
    expect(due).toEqual({ dueAt: at('2019-10-01T12:00:00.000Z'), repetitionsLeft: 0 });
    expect(due.dueAt).not.toBe(date); // a copy: the caller's Date is not shared
  });

  test('a date already in the past keeps its instant and is due immediately (Zeebe: timer date in the past triggers at once)', () => {
    const due = firstDue({ kind: 'date', date: '2019-10-01T12:00:00Z' }, at('2026-01-01T00:00:00.000Z'));
    expect(due).toEqual({ dueAt: at('2019-10-01T12:00:00.000Z'), repetitionsLeft: 0 });
    expect(due.dueAt.getTime()).toBeLessThan(at('2026-01-01T00:00:00.000Z').getTime());
  });

  test.each([
    ['2019-10-02T08:09:40', /no UTC offset.*ambiguous/],
    ['2019-10-02T08:09:40.5', /no UTC offset.*ambiguous/],
    ['2019-10-02T08:09:40[Europe/Berlin]', /no UTC offset.*ambiguous/],
  ])('%s without offset is rejected as ambiguous (Zeebe: timer date needs an offset)', (date, reason) => {
    const err = timerError(() => firstDue({ kind: 'date', date }, from));
    expect(err.message).toContain(`timeDate '${date}'`);
    expect(err.message).toMatch(reason);
  });

  test.each([
    ['', /empty/],
    ['tomorrow', /expected an ISO 8601 date-time with UTC offset/],
    ['2019-10-02', /expected an ISO 8601 date-time with UTC offset/],
    ['2019-10-02 08:09:40Z', /expected an ISO 8601 date-time with UTC offset/],
    ['2019-10-02T08:09:40+0200', /expected an ISO 8601 date-time with UTC offset/],
    ['2019-02-29T00:00:00Z', /out of range/], // 2019 is not a leap year
    ['2019-13-01T00:00:00Z', /out of range/],
    ['2019-10-02T24:00:00Z', /out of range/],
    ['2019-10-02T08:60:00Z', /out of range/],
    ['2019-10-02T08:09:60Z', /out of range/],
    ['2019-10-02T08:09:40+19:00', /out of range/],
  ])('timeDate %j is rejected with an error naming it (Zeebe: timer date must be ISO 8601)', (date, reason) => {
    const err = timerError(() => firstDue({ kind: 'date', date }, from));
    expect(err.message).toContain(`timeDate '${date}'`);
    expect(err.message).toMatch(reason);
    expect(err.value).toBe(date);
  });

  test('an invalid Date or a non-string FEEL value is rejected (Zeebe: timer date must evaluate to a date-time)', () => {
    expect(timerError(() => firstDue({ kind: 'date', date: new Date('nope') }, from)).message).toMatch(/timeDate Date\(invalid\).*invalid/);
    const feelObject = { year: 2019 } as unknown as string;
    expect(timerError(() => firstDue({ kind: 'date', date: feelObject }, from)).message).toMatch(/got object/);
  });
});

describe('timeCycle (Zeebe: timer cycle, ISO 8601 repeating interval)', () => {
  const from = at('2025-06-15T08:00:00.000Z');

  test('R5/PT10S fires five times, every 10 s from activation (Zeebe: timer cycle repetitions)', () => {
    expect(firstDue({ kind: 'cycle', cycle: 'R5/PT10S' }, from)).toEqual({
      dueAt: at('2025-06-15T08:00:10.000Z'),
      repetitionsLeft: 4,
      interval: 'PT10S',
    });
    expect(fireAll({ kind: 'cycle', cycle: 'R5/PT10S' }, from)).toEqual([
      '2025-06-15T08:00:10.000Z',
      '2025-06-15T08:00:20.000Z',
      '2025-06-15T08:00:30.000Z',
      '2025-06-15T08:00:40.000Z',
      '2025-06-15T08:00:50.000Z',
    ]);
  });

  test.each([
    [at('2025-06-15T08:00:10.000Z'), 4, { dueAt: at('2025-06-15T08:00:20.000Z'), repetitionsLeft: 3 }],
    [at('2025-06-15T08:00:40.000Z'), 1, { dueAt: at('2025-06-15T08:00:50.000Z'), repetitionsLeft: 0 }],
    [at('2025-06-15T08:00:50.000Z'), 0, undefined],
  ])('nextCycleDue(PT10S, %s, %p) gives %p (Zeebe: timer cycle repetitions count down)', (firedAt, left, expected) => {
    expect(nextCycleDue('PT10S', firedAt, left)).toEqual(expected);
  });

  test('R/PT1M repeats forever, every minute (Zeebe: timer cycle without count is infinite)', () => {
    expect(firstDue({ kind: 'cycle', cycle: 'R/PT1M' }, from)).toEqual({
      dueAt: at('2025-06-15T08:01:00.000Z'),
      repetitionsLeft: null,
      interval: 'PT1M',
    });
    expect(nextCycleDue('PT1M', at('2025-06-15T08:01:00.000Z'), null)).toEqual({
      dueAt: at('2025-06-15T08:02:00.000Z'),
      repetitionsLeft: null,
    });
    const fired = fireAll({ kind: 'cycle', cycle: 'R/PT1M' }, from, 61);
    expect(fired).toHaveLength(61);
    expect(fired[60]).toBe('2025-06-15T09:01:00.000Z');
  });

  test('R3/2026-01-01T00:00:00Z/PT1H fires at the start date, then hourly, 3 times (Zeebe: timer cycle with start date)', () => {
    expect(firstDue({ kind: 'cycle', cycle: 'R3/2026-01-01T00:00:00Z/PT1H' }, from)).toEqual({
      dueAt: at('2026-01-01T00:00:00.000Z'),
      repetitionsLeft: 2,
      interval: 'PT1H',
    });
    expect(fireAll({ kind: 'cycle', cycle: 'R3/2026-01-01T00:00:00Z/PT1H' }, from)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
    ]);
  });

  test('R3/<past start>/PT1H is due at the start date anyway, i.e. immediately (Zeebe: timer cycle with start date)', () => {
    const later = at('2026-06-01T12:00:00.000Z');
    const due = firstDue({ kind: 'cycle', cycle: 'R3/2026-01-01T00:00:00Z/PT1H' }, later);
    expect(due).toEqual({ dueAt: at('2026-01-01T00:00:00.000Z'), repetitionsLeft: 2, interval: 'PT1H' });
    expect(due.dueAt.getTime()).toBeLessThan(later.getTime());
  });

  test('R2/<start with offset and zone id>/P1D uses the offset (Zeebe: timer cycle start date with offset)', () => {
    expect(fireAll({ kind: 'cycle', cycle: 'R2/2026-01-01T09:00:00+01:00[Europe/Berlin]/P1D' }, from)).toEqual([
      '2026-01-01T08:00:00.000Z',
      '2026-01-02T08:00:00.000Z',
    ]);
  });

  test('R1/PT5S fires once (Zeebe: timer cycle repetitions)', () => {
    expect(firstDue({ kind: 'cycle', cycle: 'R1/PT5S' }, from)).toEqual({
      dueAt: at('2025-06-15T08:00:05.000Z'),
      repetitionsLeft: 0,
      interval: 'PT5S',
    });
    expect(nextCycleDue('PT5S', at('2025-06-15T08:00:05.000Z'), 0)).toBeUndefined();
  });

  test('R3/P1M chains calendar months from each due date (Zeebe: timer cycle interval is an ISO 8601 duration)', () => {
    expect(fireAll({ kind: 'cycle', cycle: 'R3/P1M' }, at('2024-01-31T00:00:00.000Z'))).toEqual([
      '2024-02-29T00:00:00.000Z',
      '2024-03-29T00:00:00.000Z',
      '2024-04-29T00:00:00.000Z',
    ]);
  });

  test('R2/PT0.5S fires on half seconds (Zeebe: timer cycle, fractional seconds)', () => {
    expect(fireAll({ kind: 'cycle', cycle: 'R2/PT0.5S' }, from)).toEqual(['2025-06-15T08:00:00.500Z', '2025-06-15T08:00:01.000Z']);
  });

  test.each([
    ['', /empty/],
    ['garbage', /expected an ISO 8601 repeating interval.*or a 6-field cron expression/],
    ['PT10S', /expected an ISO 8601 repeating interval/],
    ['R5', /expected an ISO 8601 repeating interval/],
    ['R5/', /empty/],
    ['R5/PT', /'T' must be followed/],
    ['R5/P1H', /must follow 'T'/],
    ['R0/PT10S', /repetition count must be at least 1/],
    ['R5/PT0S', /must be a positive duration/],
    ['R5/-PT10S', /must be a positive duration/],
    ['R/2026-01-01T00:00:00Z/2026-01-02T00:00:00Z', /only the forms R\[n\]\/duration and R\[n\]\/start\/duration/],
    ['R/PT1H/2026-01-02T00:00:00Z', /only the forms/],
    ['R3/2026-01-01T00:00:00Z/PT1H/PT1H', /only the forms/],
    ['R3/2026-01-01T00:00:00/PT1H', /start date '2026-01-01T00:00:00'.*no UTC offset.*ambiguous/],
    ['R3/2026-02-30T00:00:00Z/PT1H', /start date '2026-02-30T00:00:00Z'.*out of range/],
  ])('timeCycle %j is rejected with an error naming it (Zeebe: timer cycle must be an ISO 8601 repeating interval)', (cycle, reason) => {
    const err = timerError(() => firstDue({ kind: 'cycle', cycle }, from));
    expect(err.message).toContain(`timeCycle '${cycle}'`);
    expect(err.message).toMatch(reason);
  });

  test.each([
    ['PT', null, /'PT'.*'T' must be followed/],
    ['PT0S', null, /'PT0S'.*positive duration/],
    ['PT10S', -1, /repetitionsLeft -1/],
    ['PT10S', 1.5, /repetitionsLeft 1\.5/],
  ])('nextCycleDue(%j, …, %p) is rejected (Zeebe: timer cycle interval and repetitions)', (interval, left, reason) => {
    expect(timerError(() => nextCycleDue(interval, from, left)).message).toMatch(reason);
  });
});

describe('timeCycle as a cron expression (Zeebe 8.1+: timer cycle, Spring 6-field cron, UTC)', () => {
  const friday = at('2025-06-13T08:00:00.250Z');

  test('0 0 9 * * MON-FRI fires at 09:00 UTC on weekdays, forever (Zeebe: a cron cycle has no repetition count)', () => {
    expect(firstDue({ kind: 'cycle', cycle: '0 0 9 * * MON-FRI' }, friday)).toEqual({
      dueAt: at('2025-06-13T09:00:00.000Z'),
      repetitionsLeft: null,
      interval: '0 0 9 * * MON-FRI',
    });
    expect(fireAll({ kind: 'cycle', cycle: '0 0 9 * * MON-FRI' }, friday, 4)).toEqual([
      '2025-06-13T09:00:00.000Z',
      '2025-06-16T09:00:00.000Z',
      '2025-06-17T09:00:00.000Z',
      '2025-06-18T09:00:00.000Z',
    ]);
  });

  test('each firing is due at the next match strictly after the previous due time; milliseconds round up to the next second (Zeebe: cron cycle)', () => {
    expect(firstDue({ kind: 'cycle', cycle: '*/10 * * * * *' }, friday).dueAt).toEqual(at('2025-06-13T08:00:10.000Z'));
    expect(nextCycleDue('*/10 * * * * *', at('2025-06-13T08:00:10.000Z'), null)).toEqual({ dueAt: at('2025-06-13T08:00:20.000Z'), repetitionsLeft: null });
  });

  test.each([
    ['0 0/15 * * * ?', ['2025-06-15T08:15:00.000Z', '2025-06-15T08:30:00.000Z', '2025-06-15T08:45:00.000Z']],
    ['0 0 0 L * *', ['2025-06-30T00:00:00.000Z', '2025-07-31T00:00:00.000Z', '2025-08-31T00:00:00.000Z']],
    ['0 0 0 * * FRI#2', ['2025-07-11T00:00:00.000Z', '2025-08-08T00:00:00.000Z', '2025-09-12T00:00:00.000Z']],
    ['0 30 2 * * 7', ['2025-06-22T02:30:00.000Z', '2025-06-29T02:30:00.000Z', '2025-07-06T02:30:00.000Z']],
    ['0 0 0 13 * FRI', ['2026-02-13T00:00:00.000Z', '2026-03-13T00:00:00.000Z', '2026-11-13T00:00:00.000Z']],
    ['0 0 12 1 jan-mar *', ['2026-01-01T12:00:00.000Z', '2026-02-01T12:00:00.000Z', '2026-03-01T12:00:00.000Z']],
    ['@daily', ['2025-06-16T00:00:00.000Z', '2025-06-17T00:00:00.000Z', '2025-06-18T00:00:00.000Z']],
    ['@yearly', ['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', '2028-01-01T00:00:00.000Z']],
  ])(
    '%s from Sunday 2025-06-15 08:00 UTC fires at %j (Zeebe: Spring cron syntax: ?, n/step, L, #, Sunday as 7, day-of-month AND day-of-week, names, macros)',
    (cycle, expected) => {
      expect(fireAll({ kind: 'cycle', cycle }, at('2025-06-15T08:00:00.000Z'), 3)).toEqual(expected);
    },
  );

  test('0 30 2 * * * fires at 02:30 UTC on the night Europe skips 02:00-03:00 as on any other (Zeebe: cron is read in the broker zone, UTC)', () => {
    expect(fireAll({ kind: 'cycle', cycle: '0 30 2 * * *' }, at('2025-03-29T12:00:00.000Z'), 3)).toEqual([
      '2025-03-30T02:30:00.000Z',
      '2025-03-31T02:30:00.000Z',
      '2025-04-01T02:30:00.000Z',
    ]);
  });

  test('an expression that never matches is due at once, once (Zeebe: cron timer with no next execution)', () => {
    expect(firstDue({ kind: 'cycle', cycle: '0 0 0 30 2 *' }, friday)).toEqual({ dueAt: friday, repetitionsLeft: 0 });
  });

  test.each([
    ['*/5 * * * *', /6 fields.*not 5/],
    ['0 0 1 JAN *', /6 fields.*not 5/],
    ['0 0 0 1 1 * 2030', /6 fields.*not 7/],
    ['@reboot', /6 fields.*not 1/],
    ['0 0 25 * * *', /hour|range|invalid/i],
    ['0 0 0 L-3 * *', /L-3/],
  ])('cron %j is rejected with an error naming it (Zeebe: a cron cycle must be a valid Spring 6-field expression)', (cycle, reason) => {
    const err = timerError(() => firstDue({ kind: 'cycle', cycle }, at('2025-06-15T08:00:00.000Z')));
    expect(err.message).toContain(`timeCycle '${cycle}'`);
    expect(err.message).toMatch(reason);
    expect(err.value).toBe(cycle);
  });
});

describe('timer definition kind (Zeebe: exactly one of timeDuration, timeDate, timeCycle)', () => {
  test('an unknown kind is rejected with an error naming it (Zeebe: timer event definition)', () => {
    const spec = { kind: 'timeout', timeout: 'PT1S' } as unknown as TimerSpec;
    expect(timerError(() => firstDue(spec, at('2025-01-01T00:00:00.000Z'))).message).toMatch(/unknown kind 'timeout'/);
  });
});
