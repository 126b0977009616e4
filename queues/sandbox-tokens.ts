// The sandbox provider's test payment methods. Like a real provider's test
// cards, the token alone decides what happens, so every path of the saga
// (paid, declined, timed out, retried) can be driven from an ordinary order.

export const MAX_SANDBOX_FAILURES = 50;

export type SandboxOutcome =
  | { kind: 'approve' }
  | { kind: 'decline'; reason: string }
  /** The provider accepts the request and never calls back: the payment times out. */
  | { kind: 'no_answer' }
  /** The request API fails transiently `failures` times, then the payment is approved. */
  | { kind: 'fail_then_approve'; failures: number };

export const SANDBOX_TOKENS_MESSAGE = `use one of the sandbox tokens pm_approve, pm_decline, pm_no_answer or pm_fail_<N> (N from 1 to ${MAX_SANDBOX_FAILURES})`;

export function parseSandboxToken(token: string): SandboxOutcome | undefined {
  switch (token) {
    case 'pm_approve':
      return { kind: 'approve' };
    case 'pm_decline':
      return { kind: 'decline', reason: 'card_declined' };
    case 'pm_no_answer':
      return { kind: 'no_answer' };
  }
  // No leading zeros: one spelling per token, as with any id.
  const match = /^pm_fail_([1-9]\d?)$/.exec(token);
  const failures = match ? Number(match[1]) : NaN;
  return failures <= MAX_SANDBOX_FAILURES ? { kind: 'fail_then_approve', failures } : undefined;
}
