// Retry back-off with jitter (domain/events/delivery.ts): each wait is drawn between 50 % and
// 100 % of the capped exponential value, and the give-up time still ends the retries.
import { describe, expect, test } from '@jest/globals';
import { afterFailure, retryDelayMs } from '../../domain/events/delivery.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const policy = { firstRetryMs: MINUTE, maxRetryIntervalMs: 6 * HOUR };

/** A seeded random source in [0, 1) (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('retry back-off with jitter', () => {
  test('each delay lies between 50 % and 100 % of the exponential value, which doubles from the first retry', () => {
    const exponential = [1, 2, 4, 8, 16, 32, 64, 128, 256].map((m) => m * MINUTE);
    exponential.forEach((value, i) => {
      expect(retryDelayMs(i + 1, policy, () => 0)).toBe(value / 2);
      expect(retryDelayMs(i + 1, policy, () => 0.999_999)).toBe(Math.round(value * (0.5 + 0.5 * 0.999_999)));
    });
    const random = seeded(7);
    for (let attempt = 1; attempt <= 9; attempt++) {
      for (let i = 0; i < 200; i++) {
        const d = retryDelayMs(attempt, policy, random);
        expect(d).toBeGreaterThanOrEqual(exponential[attempt - 1]! / 2);
        expect(d).toBeLessThanOrEqual(exponential[attempt - 1]!);
      }
    }
  });

  test('the cap holds: never more than EVENT_DELIVERY_MAX_RETRY_INTERVAL, and retries keep spreading under it', () => {
    const random = seeded(11);
    const capped = Array.from({ length: 500 }, (_, i) => retryDelayMs(10 + (i % 40), policy, random));
    for (const d of capped) {
      expect(d).toBeLessThanOrEqual(6 * HOUR);
      expect(d).toBeGreaterThanOrEqual(3 * HOUR);
    }
    // Jitter, not one value: subscribers failing together come back at different times.
    expect(new Set(capped).size).toBeGreaterThan(400);
    expect(retryDelayMs(1000, policy, () => 0.999_999)).toBeLessThanOrEqual(6 * HOUR);
  });

  test('the 3-day give-up holds: the last attempt is at the give-up time, then the delivery is FAILED', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seeded(seed);
      const retryFor = 3 * DAY;
      let at = 0; // ms since the delivery was created: its first attempt
      const attempts = [at];
      for (let attempt = 1; ; attempt++) {
        const next = afterFailure(attempt, retryFor - at, policy, random);
        if (next.status === 'FAILED') break;
        expect(next.delayMs).toBeGreaterThan(0);
        expect(next.delayMs).toBeLessThanOrEqual(6 * HOUR);
        at += next.delayMs;
        attempts.push(at);
        expect(attempts.length).toBeLessThan(100);
      }
      expect(attempts.at(-1)).toBe(retryFor);
      // 9 exponential steps (≥ 511 min at 50 %) then at least 3 h apart: at most 9 + 72 / 3 + 1 attempts.
      expect(attempts.length).toBeLessThanOrEqual(9 + 24 + 1 + 1);
      expect(attempts.length).toBeGreaterThanOrEqual(9 + 12);
    }
  });
});
