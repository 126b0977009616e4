// RFC 9457 problem details. Every error the API answers is one of these, with
// `errors[].field` naming what the client must fix.
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

// Errors raised by express.json() before a route handler runs, by their `type`.
const BODY_PARSER_PROBLEMS: Record<string, (err: { limit?: number }) => HttpProblem> = {
  'entity.parse.failed': () => validationProblem([{ field: 'body', message: 'is not valid JSON' }]),
  'entity.too.large': (err) =>
    new HttpProblem(413, 'body-too-large', 'Request body too large', `the body exceeds the limit of ${err.limit ?? '?'} bytes`, [
      { field: 'body', message: 'is too large' },
    ]),
  'encoding.unsupported': () =>
    new HttpProblem(415, 'unsupported-encoding', 'Unsupported content encoding', 'use identity, gzip or deflate', [
      { field: 'Content-Encoding', message: 'is not supported' },
    ]),
  'charset.unsupported': () =>
    new HttpProblem(415, 'unsupported-charset', 'Unsupported charset', 'send UTF-8 JSON', [{ field: 'Content-Type', message: 'charset is not supported' }]),
  'request.aborted': () => new HttpProblem(400, 'request-aborted', 'Request aborted', 'the client closed the request before the body arrived'),
};

export function toProblem(err: unknown): HttpProblem | undefined {
  if (err instanceof HttpProblem) return err;
  if (err instanceof DomainError) return fromDomain(err);
  // Express's router throws a URIError (status 400) when a path parameter is not valid percent-encoding, e.g. /products/%ZZ.
  if (err instanceof URIError && (err as { status?: unknown }).status === 400) {
    return validationProblem([{ field: 'path', message: 'is not valid percent-encoding' }]);
  }
  const type = (err as { type?: unknown } | null)?.type;
  if (typeof type === 'string' && BODY_PARSER_PROBLEMS[type]) return BODY_PARSER_PROBLEMS[type](err as { limit?: number });
  return undefined;
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
