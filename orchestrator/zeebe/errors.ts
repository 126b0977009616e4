// What the Camunda 8 REST API answers, as the engine port's errors. The SDK
// throws HttpSdkError (status + RFC 9457 title/detail), NetworkSdkError,
// AuthSdkError or CancelSdkError. Zeebe puts its rejection type in the problem's
// title (ALREADY_EXISTS, INVALID_STATE, NOT_FOUND, RESOURCE_EXHAUSTED…).
import { EngineError, type EngineErrorCode } from '../engine.js';

type SdkError = Error & { status?: number; title?: string; detail?: string };

function codeOf(err: SdkError): EngineErrorCode {
  const title = `${err.title ?? ''} ${err.message ?? ''}`.toUpperCase();
  switch (err.status) {
    case 400:
      return 'INVALID_ARGUMENT';
    case 401:
    case 403:
      return 'UNAUTHENTICATED';
    case 404:
      return 'NOT_FOUND';
    case 409:
      // ALREADY_EXISTS (e.g. a buffered message with this id); INVALID_STATE otherwise.
      return title.includes('ALREADY_EXISTS') ? 'ALREADY_EXISTS' : 'FAILED_PRECONDITION';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 500:
    case 503:
      return title.includes('RESOURCE_EXHAUSTED') || /RESOURCE_EXHAUSTED/.test(err.detail ?? '') ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE';
    default:
      return err.name === 'AuthSdkError' ? 'UNAUTHENTICATED' : 'UNAVAILABLE';
  }
}

/** The SDK's error as an EngineError naming what was attempted; an EngineError passes through. */
export function toEngineError(err: unknown, doing: string): EngineError {
  if (err instanceof EngineError) return err;
  const e = (err instanceof Error ? err : new Error(String(err))) as SdkError;
  const status = e.status ? ` (HTTP ${e.status})` : '';
  const detail = e.detail && e.detail !== e.message ? `: ${e.detail}` : '';
  const wrapped = new EngineError(codeOf(e), `${doing} failed${status}: ${e.message}${detail}`);
  wrapped.cause = err;
  return wrapped;
}

/** Runs one SDK call, turning its failure into an EngineError. */
export async function call<T>(doing: string, fn: () => PromiseLike<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toEngineError(err, doing);
  }
}
