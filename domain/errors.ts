// Typed domain failures. The API turns each into an RFC 9457 problem; workers
// turn the business ones into BPMN errors. Nothing here knows about HTTP.

export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(
    readonly resource: string,
    readonly id: string,
    readonly field?: string,
  ) {
    super(`${resource} ${id} does not exist`);
    this.name = 'NotFoundError';
  }
}

/** How an error names a field: a validation path as `data.items[1].sku`, after `prefix`; `body` for the whole. */
export function fieldName(path: readonly PropertyKey[], prefix = ''): string {
  let name = prefix;
  for (const part of path) {
    if (typeof part === 'number') name += `[${part}]`;
    else name = name ? `${name}.${String(part)}` : String(part);
  }
  return name || 'body';
}

/** Input that is well-formed but names things that do not exist or cannot go together. */
export class InvalidInputError extends DomainError {
  readonly code = 'INVALID_INPUT';
  constructor(readonly errors: { field: string; message: string }[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'InvalidInputError';
  }
}

export class ConflictError extends DomainError {
  readonly code: string;
  constructor(
    code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ConflictError';
    this.code = code;
  }
}
