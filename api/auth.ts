import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from './problem.js';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Admin operations need `Authorization: Bearer <ADMIN_TOKEN>`; compared in constant time. */
export function requireAdmin(adminToken: string): RequestHandler {
  const expected = digest(adminToken);
  return (req, _res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!match || !timingSafeEqual(digest(match[1] as string), expected)) {
      throw new HttpProblem(401, 'unauthorized', 'Unauthorized', 'this operation needs the admin bearer token', [{ field: 'Authorization', message: 'missing or wrong bearer token' }], {
        'WWW-Authenticate': 'Bearer realm="order-saga"',
      });
    }
    next();
  };
}
