// RFC 9457 problem details. Every error the API answers is one of these, with
// `errors[].field` naming what the client must fix.
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '../infra/logger.js';
import { ConflictError, DomainError, InvalidInputError, NotFoundError } from '../domain/errors.js';

/** `hint`: what to send instead, where the API can tell (e.g. a field from another shop's API). */
export type FieldError = { field: string; message: string; hint?: string };

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly errors: FieldError[] = [],
    readonly headers: Record<string, string> = {},
    /** RFC 9457 extension members, beside the standard ones (e.g. the cart as it is now). */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function sendProblem(res: Response, problem: HttpProblem, instance: string): void {
  for (const [name, value] of Object.entries(problem.headers)) res.setHeader(name, value);
  res
    .status(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(
      JSON.stringify({
        type: `/problems/${problem.slug}`,
        title: problem.title,
        status: problem.status,
        detail: problem.detail,
        instance,
        ...(problem.errors.length > 0 ? { errors: problem.errors } : {}),
        ...problem.extensions,
      }),
    );
}

export function validationProblem(errors: FieldError[]): HttpProblem {
  return new HttpProblem(400, 'validation-error', 'Your request is not valid', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
}

/** A body that is not JSON where only JSON is accepted. */
export function unsupportedMediaType(): HttpProblem {
  return new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send the body as application/json', [
    { field: 'Content-Type', message: 'must be application/json' },
  ]);
}

function fromDomain(err: DomainError): HttpProblem {
  if (err instanceof NotFoundError) {
    return new HttpProblem(404, 'not-found', `No such ${err.resource}`, err.message, err.field ? [{ field: err.field, message: err.message }] : []);
  }
  if (err instanceof InvalidInputError) return validationProblem(err.errors);
  if (err instanceof ConflictError) {
    return new HttpProblem(
      409,
      err.code.toLowerCase().replaceAll('_', '-'),
      'The request conflicts with the current state',
      err.message,
      err.field ? [{ field: err.field, message: err.message }] : [],
    );
  }
  return new HttpProblem(422, 'unprocessable', 'The request cannot be processed', err.message);
}

/** A body in a Content-Encoding the API does not take (body-parsers.ts). */
export function unsupportedEncoding(): HttpProblem {
  return new HttpProblem(415, 'unsupported-encoding', 'Unsupported content encoding', 'use identity, gzip or deflate', [
    { field: 'Content-Encoding', message: 'is not supported' },
  ]);
}

/** A body whose bytes are not UTF-8, where the API reads UTF-8 text. */
export function invalidUtf8Body(): HttpProblem {
  return validationProblem([{ field: 'body', message: 'is not valid UTF-8' }]);
}

// Errors the body parsers (body-parser, raw-body) raise before a route handler runs, by their
// `type`. Not here: stream.encoding.set and stream.not.readable, which are our own mistakes (500).
const BODY_PARSER_PROBLEMS: Record<string, (err: { limit?: number }) => HttpProblem> = {
  'entity.parse.failed': () => validationProblem([{ field: 'body', message: 'is not valid JSON' }]),
  'entity.too.large': (err) =>
    new HttpProblem(413, 'body-too-large', 'Request body too large', `the body exceeds the limit of ${err.limit ?? '?'} bytes`, [
      { field: 'body', message: 'is too large' },
    ]),
  'entity.verify.failed': () => validationProblem([{ field: 'body', message: 'was refused' }]),
  'encoding.unsupported': unsupportedEncoding,
  'charset.unsupported': () =>
    new HttpProblem(415, 'unsupported-charset', 'Unsupported charset', 'send UTF-8 JSON', [{ field: 'Content-Type', message: 'charset is not supported' }]),
  'request.aborted': () => new HttpProblem(400, 'request-aborted', 'Request aborted', 'the client closed the request before the body arrived'),
  'request.size.invalid': () =>
    new HttpProblem(400, 'body-length-mismatch', 'Body length mismatch', 'the body is not as long as its Content-Length says', [
      { field: 'Content-Length', message: 'does not match the body' },
    ]),
  'parameters.too.many': () =>
    new HttpProblem(413, 'body-too-large', 'Request body too large', 'the body has too many parameters', [{ field: 'body', message: 'is too large' }]),
};

type ClientError = { type?: unknown; status?: unknown; expose?: unknown; code?: unknown; errno?: unknown };

/**
 * A gzip or deflate body that does not decompress: body-parser passes zlib's error on
 * (it has a `code` such as Z_DATA_ERROR and an `errno`) as a 400 without a `type`.
 */
const isDecompressionError = (err: ClientError) =>
  err.status === 400 && err.type === undefined && typeof err.code === 'string' && typeof err.errno === 'number';

function fromClientError(err: ClientError): HttpProblem | undefined {
  if (typeof err.type === 'string' && Object.hasOwn(BODY_PARSER_PROBLEMS, err.type)) return BODY_PARSER_PROBLEMS[err.type]!(err as { limit?: number });
  if (isDecompressionError(err)) {
    return new HttpProblem(400, 'invalid-content-encoding', 'Body does not decode', 'the body is not in the Content-Encoding the request names', [
      { field: 'Content-Encoding', message: 'does not match the body' },
    ]);
  }
  // Any other error a middleware marks as the client's (http-errors: a 4xx `status`, `expose`), e.g. a static file's 416.
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500 && err.expose === true) {
    return new HttpProblem(err.status, 'bad-request', STATUS_CODES[err.status] ?? 'Bad request', 'the request cannot be served as it is');
  }
  return undefined;
}

export function toProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  if (err instanceof DomainError) return fromDomain(err);
  // Express's router throws a URIError (status 400) when a path parameter is not valid percent-encoding, e.g. /products/%ZZ.
  if (err instanceof URIError && (err as { status?: unknown }).status === 400) {
    return validationProblem([{ field: 'path', message: 'is not valid percent-encoding' }]);
  }
  return err !== null && typeof err === 'object' ? fromClientError(err) : undefined;
}

export function problemErrorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const problem = toProblem(err);
    if (problem) {
      sendProblem(res, problem, req.originalUrl);
      return;
    }
    logger.error({ err, method: req.method, url: req.originalUrl }, 'unhandled error');
    sendProblem(res, new HttpProblem(500, 'internal-error', 'Internal server error', 'an unexpected error occurred; it has been logged'), req.originalUrl);
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, new HttpProblem(404, 'no-such-route', 'Not found', `${req.method} ${req.path} is not a route of this API; see /docs`), req.originalUrl);
};
