// Rate limits, counted in Redis so that every instance of the service draws on one budget
// per client. A client is the caller authenticate.ts verified (a key, a customer, the admin
// token), else its IP address: an unknown credential must not buy a fresh budget.
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type { Logger } from '../infra/logger.js';
import { principalLabel } from '../domain/access/principal.js';
import { authenticationOf } from './authenticate.js';
import { HttpProblem } from './problem.js';

/** What the limiter needs of an ioredis client: raw commands. */
export type RateLimitRedis = { call(command: string, ...args: string[]): Promise<unknown> };

export type RateLimitOptions = {
  perMinute: number;
  redis: RateLimitRedis;
  /** Key prefix in Redis, e.g. `${QUEUE_PREFIX}:rate-limit:`. */
  prefix: string;
  logger: Logger;
};

const WINDOW_MS = 60_000;

// Probes and scrapers poll on their own schedule, and a payment provider retries a webhook it
// thinks was lost: throttling it could lose a payment result. None of these counts or is limited.
const EXEMPT = /^\/(health|ready|metrics|webhooks\/payments\/[^/]+)\/?$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The bucket a request counts against: `caller:<sha256 of who>` for a verified caller (a key
 * by its id, a customer by their id), else `ip:<address>` (an IPv6 client by its /56, as
 * express-rate-limit advises).
 */
export function clientKey(req: Request, res: Response): string {
  const { principal } = authenticationOf(res);
  return principal ? `caller:${sha256(principalLabel(principal))}` : `ip:${ipKeyGenerator(req.ip ?? '')}`;
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

export function rateLimiter({ perMinute, redis, prefix, logger }: RateLimitOptions): RequestHandler {
  const log = logger.child({ component: 'rate-limit' });
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new RecoveringRedisStore({ prefix, sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<never> }),
    keyGenerator: clientKey,
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
