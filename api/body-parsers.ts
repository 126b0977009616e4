// How request bodies are read: JSON for the API's routes, the exact bytes for signed
// webhooks. A body may come as identity, gzip or deflate (Content-Encoding); any other
// encoding is a 415 before a byte is read, and one that does not decode is a 400
// (problem.ts maps the parsers' errors). JSON must be UTF-8: bytes that are not are
// refused, not read as U+FFFD.
import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler } from 'express';
import { invalidUtf8Body, unsupportedEncoding, validationProblem } from './problem.js';

const ACCEPTED_ENCODINGS = new Set(['identity', 'gzip', 'deflate']);

const hasBody = (headers: Record<string, unknown>) => headers['transfer-encoding'] !== undefined || headers['content-length'] !== undefined;

/** `parser`, for bodies in an encoding we take. */
function acceptedEncodingsOnly(parser: RequestHandler): RequestHandler {
  return (req, res, next) => {
    const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
    if (hasBody(req.headers) && !ACCEPTED_ENCODINGS.has(encoding)) return next(unsupportedEncoding());
    parser(req, res, next);
  };
}

/** application/json bodies up to `limit`, parsed into req.body. */
export function jsonBodyParser(limit: string | number): RequestHandler {
  return acceptedEncodingsOnly(
    express.json({
      limit,
      verify: (_req, _res, bytes, charset) => {
        if (charset === 'utf-8' && !isUtf8(bytes)) throw invalidUtf8Body();
      },
    }),
  );
}

/** Any body up to `limit`, decoded but otherwise as received, as a Buffer in req.body. */
export function rawBodyParser(limit: string | number): RequestHandler {
  return acceptedEncodingsOnly(express.raw({ type: () => true, limit }));
}

/** The JSON in a raw body (read by rawBodyParser, its signature checked on these bytes): 400 naming `body` when it is not UTF-8 JSON. */
export function jsonOfRawBody(raw: Buffer): unknown {
  if (!isUtf8(raw)) throw invalidUtf8Body();
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw validationProblem([{ field: 'body', message: 'is not valid JSON' }]);
  }
}
