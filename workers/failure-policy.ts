// How a worker answers an exception, so no handler invents its own: business
// rule violations go straight to an incident (retrying cannot change the answer),
// technical failures are retried with exponential back-off until the model's
// retries run out, and then the engine raises an incident.
import { DomainError } from '../domain/errors.js';
import { fail, type Job, type JobAction } from '../orchestrator/engine.js';

const MAX_BACKOFF_MS = 60_000;
/** Retries of the model's service tasks are at most 5; earlier attempts wait less. */
const BACKOFF_REFERENCE_RETRIES = 5;

export function retryBackoff(retriesLeft: number, baseMs: number): number {
  const failuresSoFar = Math.max(0, BACKOFF_REFERENCE_RETRIES - retriesLeft);
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** failuresSoFar);
}

export function answerFailure(job: Pick<Job, 'retries'>, err: unknown, baseBackoffMs: number): JobAction {
  // An error without a message still names its kind: an incident must never read as blank.
  const message = err instanceof Error ? err.message || String(err) : String(err);
  if (err instanceof DomainError) return fail({ errorMessage: `${err.name}: ${message}`, retries: 0 });
  return fail({ errorMessage: message, retries: Math.max(0, job.retries - 1), retryBackOffMs: retryBackoff(job.retries, baseBackoffMs) });
}
