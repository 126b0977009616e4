import type { Request } from 'express';
import type { z } from 'zod';
import { fieldName } from '../domain/errors.js';
import { HttpProblem, unsupportedMediaType, validationProblem, type FieldError } from './problem.js';

/** Every offending field of `value`, one error per field (each unknown key named on its own). */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], prefix = '', unknown = 'unknown field'): FieldError[] {
  return issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: fieldName([...issue.path, key], prefix), message: unknown }));
    return [{ field: fieldName(issue.path, prefix), message: issue.message }];
  });
}

/** Parses one part of a request; a failure is a 400 naming every offending field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, prefix = '', unknown = 'unknown field'): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationProblem(fieldErrors(result.error.issues, prefix, unknown));
}

/** The query of a list (a schema made by `listQuery`): a parameter the list does not know is a 400 naming it. */
export function listParams<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  return parse(schema, req.query, '', 'unknown query parameter');
}

/**
 * A JSON body is required: anything else is 415, not a confusing validation error.
 * A body that does not fit `schema` is `problem` (default: the generic 400) naming every offending field.
 */
export function jsonBody<S extends z.ZodType>(req: Request, schema: S, problem: (errors: FieldError[]) => HttpProblem = validationProblem): z.infer<S> {
  if (!req.is('application/json')) {
    throw unsupportedMediaType();
  }
  const result = schema.safeParse(req.body);
  if (result.success) return result.data;
  throw problem(fieldErrors(result.error.issues));
}
