// /metrics settings (issue 21, item 7): production needs METRICS_TOKEN (the gauges show
// business figures and each reading costs queries), elsewhere /metrics stays open unless
// it is set; METRICS_CACHE_MS says how long a reading of the gauges stands.
import { describe, expect, test } from '@jest/globals';
import { ConfigError, loadConfig } from '../../infra/config.js';

const METRICS_TOKEN = 'a-scraper-token-of-some-length';
/** Production with every other secret it requires, so that only the metrics settings are in question. */
const production = { NODE_ENV: 'production', ADMIN_TOKEN: 'a-real-admin-token-123', SANDBOX_WEBHOOK_SECRET: 'whsec_a_real_secret_value' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('METRICS_TOKEN', () => {
  test('production without it does not start, and the message names it', () => {
    expect(problems(production)).toEqual([expect.stringMatching(/^METRICS_TOKEN is required in production/)]);
    expect(() => loadConfig(production)).toThrow(/METRICS_TOKEN is required in production/);
    expect(problems({ ...production, METRICS_TOKEN: '' })).toEqual([expect.stringMatching(/^METRICS_TOKEN is required in production/)]);
  });

  test('production with it starts and /metrics asks for it', () => {
    expect(loadConfig({ ...production, METRICS_TOKEN }).metricsToken).toBe(METRICS_TOKEN);
  });

  test('outside production /metrics stays open unless it is set', () => {
    for (const NODE_ENV of ['development', 'test']) {
      expect(loadConfig({ NODE_ENV }).metricsToken).toBeUndefined();
      expect(loadConfig({ NODE_ENV, METRICS_TOKEN }).metricsToken).toBe(METRICS_TOKEN);
    }
  });
});

describe('METRICS_CACHE_MS', () => {
  test('5000 by default; 0 reads the gauges at every scrape', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).metricsCacheMs).toBe(5000);
    expect(loadConfig({ NODE_ENV: 'test', METRICS_CACHE_MS: '0' }).metricsCacheMs).toBe(0);
    expect(loadConfig({ NODE_ENV: 'test', METRICS_CACHE_MS: '250' }).metricsCacheMs).toBe(250);
  });

  test('a negative, fractional or non-numeric value stops the service naming the variable', () => {
    for (const bad of ['-1', '1.5', 'five seconds']) {
      expect([bad, problems({ NODE_ENV: 'test', METRICS_CACHE_MS: bad })]).toEqual([bad, [expect.stringMatching(/^METRICS_CACHE_MS /)]]);
    }
  });
});
