// Admin routes that change state answer only requests from this service's own pages,
// or from clients that are no browser (curl, scripts, other services: they send neither
// Origin nor Sec-Fetch-Site), and only JSON bodies. A browser holding saved Basic
// credentials for /ops would otherwise send them along with a form another site posts
// (cross-site request forgery); a form can only send urlencoded, multipart or text/plain
// bodies, and a browser always says where a request comes from.
import type { Request, RequestHandler } from 'express';
import { HttpProblem, unsupportedMediaType } from './problem.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
const FOREIGN_FETCH_SITES = new Set(['cross-site', 'same-site']);

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

// Not type-is's hasBody: a browser sends `Content-Length: 0` with a PUT that has no body (Bull Board's buttons).
const hasBody = (req: Request) => req.get('transfer-encoding') !== undefined || (req.get('content-length') ?? '0') !== '0';

/** The header that shows the request came from another site, or undefined. */
function foreignSign(req: Request, publicOrigin: string | undefined): { field: string; message: string } | undefined {
  const fetchSite = req.get('sec-fetch-site');
  if (fetchSite !== undefined && FOREIGN_FETCH_SITES.has(fetchSite.toLowerCase())) return { field: 'Sec-Fetch-Site', message: `is ${fetchSite}` };
  const origin = req.get('origin');
  if (origin === undefined) return undefined;
  // Our own origin: PUBLIC_URL's, or the one the browser addressed (scheme and Host header).
  const own = [publicOrigin, originOf(`${req.protocol}://${req.get('host') ?? ''}`)];
  const given = originOf(origin);
  return given !== undefined && own.includes(given) ? undefined : { field: 'Origin', message: `${origin} is not this service's origin` };
}

/**
 * For POST, PUT, PATCH and DELETE: 403 `cross-site-request` when the request comes
 * from another site, 415 when it has a body that is not `application/json` (a
 * request without a body passes). Reads pass untouched.
 */
export function sameOriginJsonWrites(publicUrl?: string): RequestHandler {
  const publicOrigin = publicUrl === undefined ? undefined : originOf(publicUrl);
  return (req, _res, next) => {
    if (READS.has(req.method)) return next();
    const foreign = foreignSign(req, publicOrigin);
    if (foreign) {
      throw new HttpProblem(
        403,
        'cross-site-request',
        'Cross-site request refused',
        "this operation changes state: it is accepted from this service's own pages, or from clients that are not browsers",
        [foreign],
      );
    }
    if (hasBody(req) && !req.is('application/json')) throw unsupportedMediaType();
    next();
  };
}
