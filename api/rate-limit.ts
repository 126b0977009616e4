// Rate limits, counted in Redis so that every instance of the service draws on one budget
// per client. A client is the credential it presents when that credential is one of ours
// (the admin token today), else its IP address: an unknown token must not buy a fresh budget.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { Logger } from '../infra/logger.js';
import { presentedToken } from './auth.js';
import { HttpProblem } from './problem.js';

/** What the limiter needs of an ioredis client: raw commands. */
export type RateLimitRedis = { call(command: string, ...args: string[]): Promise<unknown> };

export type RateLimitOptions = {
  perMinute: number;
  redis: RateLimitRedis;
  /** Key prefix in Redis, e.g. `${QUEUE_PREFIX}:rate-limit:`. */
  prefix: string;
  adminToken: string;
  logger: Logger;
};

const WINDOW_MS = 60_000;

// Probes and scrapers poll on their own schedule, and a payment provider retries a webhook it
// thinks was lost: throttling it could lose a payment result. None of these counts or is limited.
const EXEMPT = /^\/(health|ready|metrics|webhooks\/payments\/[^/]+)\/?$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * The bucket a request counts against: `credential:<sha256>` for a known credential (never the
 * secret itself), else `ip:<address>` (an IPv6 client by its /56, as express-rate-limit advises).
 * API keys will be recognised here too.
 */
export function clientKey(adminToken: string): (req: Request) => string {
  const admin = sha256(adminToken);
  return (req) => {
    const presented = presentedToken(req.get('authorization') ?? '');
    if (presented !== undefined) {
      const digest = sha256(presented);
      if (timingSafeEqual(digest, admin)) return `credential:${digest.toString('hex')}`;
    }
    return `ip:${ipKeyGenerator(req.ip ?? '')}`;
  };
}

/** After a failure (Redis away, even at start-up) the store would keep its failed script load: the next call loads it again. */
class RecoveringRedisStore extends RedisStore {
  private failed = false;
  override async increment(key: string) {
    if (this.failed) {
      this.failed = false;
      this.incrementScriptSha = this.loadIncrementScript();
    }
    try {
      return await super.increment(key);
    } catch (err) {
      this.failed = true;
      throw err;
    }
  }
}

export function rateLimiter({ perMinute, redis, prefix, adminToken, logger }: RateLimitOptions): RequestHandler {
  const log = logger.child({ component: 'rate-limit' });
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new RecoveringRedisStore({ prefix, sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<never> }),
    keyGenerator: clientKey(adminToken),
    skip: (req) => EXEMPT.test(req.path),
    // Redis unreachable: serve the request unlimited rather than fail it.
    passOnStoreError: true,
    logger: {
      error: (err) => log.warn({ err }, 'rate limit not applied: Redis did not answer'),
      warn: (err) => log.warn({ err }, 'rate limit warning'),
    },
    // express-rate-limit has set Retry-After and the RateLimit headers.
    handler: (_req, _res, next) => {
      next(new HttpProblem(429, 'rate-limited', 'Too many requests', `more than ${perMinute} requests in a minute; retry after the time Retry-After gives`));
    },
  });
}
