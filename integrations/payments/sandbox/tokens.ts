// The sandbox provider's test payment methods. Like a real provider's test
// cards, the token alone decides what happens, so every path of the saga
// (paid, paid without its webhook, declined, timed out, retried) can be driven
// from an ordinary order.

export const MAX_SANDBOX_FAILURES = 50;

export type SandboxOutcome =
  | { kind: 'approve' }
  /** The provider approves, but its webhook is lost: only asking it for the status tells. */
  | { kind: 'approve_lost_webhook' }
  | { kind: 'decline'; reason: string }
  /** The provider accepts the request and never calls back: the payment times out. */
  | { kind: 'no_answer' }
  /** The request API fails transiently `failures` times, then the payment is approved. */
  | { kind: 'fail_then_approve'; failures: number }
  /** The request API fails transiently `failures` times, then accepts the payment and never calls back. */
  | { kind: 'fail_then_no_answer'; failures: number };

export const SANDBOX_TOKENS_MESSAGE = `use one of the sandbox tokens pm_approve, pm_approve_lost_webhook, pm_decline, pm_no_answer, pm_fail_<N> or pm_fail_<N>_no_answer (N from 1 to ${MAX_SANDBOX_FAILURES})`;

/** How many times the request API fails before it accepts the payment. */
export function failuresBeforeAccept(outcome: SandboxOutcome): number {
  return outcome.kind === 'fail_then_approve' || outcome.kind === 'fail_then_no_answer' ? outcome.failures : 0;
}

/** What the bank decides, as the status API reports it once decided; undefined: it never decides. */
export function bankDecision(outcome: SandboxOutcome['kind']): 'approved' | 'declined' | undefined {
  switch (outcome) {
    case 'approve':
    case 'approve_lost_webhook':
    case 'fail_then_approve':
      return 'approved';
    case 'decline':
      return 'declined';
    case 'no_answer':
    case 'fail_then_no_answer':
      return undefined;
  }
}

/** Whether the provider ever calls back with a verdict. */
export function callsBack(outcome: SandboxOutcome['kind']): boolean {
  return bankDecision(outcome) !== undefined && outcome !== 'approve_lost_webhook';
}

export function parseSandboxToken(token: string): SandboxOutcome | undefined {
  switch (token) {
    case 'pm_approve':
      return { kind: 'approve' };
    case 'pm_approve_lost_webhook':
      return { kind: 'approve_lost_webhook' };
    case 'pm_decline':
      return { kind: 'decline', reason: 'card_declined' };
    case 'pm_no_answer':
      return { kind: 'no_answer' };
  }
  // No leading zeros: one spelling per token, as with any id.
  const match = /^pm_fail_([1-9]\d?)(_no_answer)?$/.exec(token);
  const failures = match ? Number(match[1]) : NaN;
  if (!(failures <= MAX_SANDBOX_FAILURES)) return undefined;
  return match?.[2] ? { kind: 'fail_then_no_answer', failures } : { kind: 'fail_then_approve', failures };
}
