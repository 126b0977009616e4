// EVENT_SUBSCRIPTION_ALLOW_PRIVATE: webhooks to our own networks are off in production unless
// a deployer turns them on, and on elsewhere (local subscribers) unless turned off.
import { describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../infra/config.js';

const PRODUCTION = {
  NODE_ENV: 'production',
  ADMIN_TOKEN: 'an-admin-token-of-our-own',
  SANDBOX_WEBHOOK_SECRET: 'whsec_a_secret_of_our_own',
  METRICS_TOKEN: 'a-metrics-token-of-our-own',
  DEV_API_KEY_ENABLED: 'false',
};

const allowPrivate = (env: Record<string, string>) => loadConfig(env).eventSubscriptions.allowPrivateNetworks;

describe('EVENT_SUBSCRIPTION_ALLOW_PRIVATE', () => {
  test('unset: private networks refused in production, allowed in development and test', () => {
    expect(allowPrivate(PRODUCTION)).toBe(false);
    expect(allowPrivate({ NODE_ENV: 'development' })).toBe(true);
    expect(allowPrivate({ NODE_ENV: 'test' })).toBe(true);
  });

  test('set: it wins over the environment; anything but a boolean is refused naming it', () => {
    expect(allowPrivate({ ...PRODUCTION, EVENT_SUBSCRIPTION_ALLOW_PRIVATE: 'true' })).toBe(true);
    expect(allowPrivate({ NODE_ENV: 'development', EVENT_SUBSCRIPTION_ALLOW_PRIVATE: 'false' })).toBe(false);
    expect(() => loadConfig({ EVENT_SUBSCRIPTION_ALLOW_PRIVATE: 'sometimes' })).toThrow(/EVENT_SUBSCRIPTION_ALLOW_PRIVATE/);
  });
});
