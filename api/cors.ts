// Cross-origin browser access to the public API (catalog, orders) for the origins in
// CORS_ORIGINS only, without credentials (no cookies, no HTTP auth sent by the browser).
// Admin routes and /ops never get CORS headers: a page elsewhere must not read them.
import cors from 'cors';
import type { RequestHandler } from 'express';

/** The paths under which the public API lives; mounted with `app.use(PUBLIC_API_PATHS, …)`. */
export const PUBLIC_API_PATHS = ['/products', '/orders', '/listings', '/customers/me', '/cart'];

/** Undefined when no origin is allowed: then no route answers CORS at all. */
export function publicApiCors(origins: string[]): RequestHandler | undefined {
  if (origins.length === 0) return undefined;
  return cors({
    origin: origins,
    credentials: false,
    // What a page may read of our answers besides the safelisted headers.
    exposedHeaders: ['Location', 'X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
    maxAge: 600,
  });
}
