import type { Request } from 'express';
import type { z } from 'zod';
import { HttpProblem, validationProblem, type FieldError } from './problem.js';

function fieldName(prefix: string, path: readonly PropertyKey[]): string {
  let name = prefix;
  for (const part of path) {
    if (typeof part === 'number') name += `[${part}]`;
    else name = name ? `${name}.${String(part)}` : String(part);
  }
  return name || 'body';
}

/** Parses one part of a request; a failure is a 400 naming every offending field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { field: fieldName(prefix, [...issue.path, issue.keys[0] ?? '']), message: `unknown field (${issue.keys.join(', ')})` };
    }
    return { field: fieldName(prefix, issue.path), message: issue.message };
  });
  throw validationProblem(errors);
}

/** A JSON body is required: anything else is 415, not a confusing validation error. */
export function jsonBody<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  if (!req.is('application/json')) {
    throw new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', 'send the body as application/json', [
      { field: 'Content-Type', message: 'must be application/json' },
    ]);
  }
  return parse(schema, req.body);
}
