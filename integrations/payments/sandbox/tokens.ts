// The sandbox provider's test payment methods. Like a real provider's test
// cards, the token alone decides what happens, so every path of the saga
// (paid, paid without its webhook, declined, timed out, retried) can be driven
// from an ordinary order. An approving token may also pick how the payment's
// captures or refunds go (pm_approve_capture_fail_<N>…), so that the saga's later steps can be driven too.

export const MAX_SANDBOX_FAILURES = 50;

export type OperationKind = 'capture' | 'refund';

/** How an approved payment's captures or refunds go: failing transiently `failures` times and then working, or refused for good. */
export type OperationFault = { operation: OperationKind; failures: number } | { operation: OperationKind; refused: true };

export type SandboxOutcome =
  | { kind: 'approve'; fault?: OperationFault }
  /** The provider approves, but its webhook is lost: only asking it for the status tells. */
  | { kind: 'approve_lost_webhook' }
  | { kind: 'decline'; reason: string }
  /** The provider accepts the request and never calls back: the payment times out. */
  | { kind: 'no_answer' }
  /** The request API fails transiently `failures` times, then the payment is approved. */
  | { kind: 'fail_then_approve'; failures: number }
  /** The request API fails transiently `failures` times, then accepts the payment and never calls back. */
  | { kind: 'fail_then_no_answer'; failures: number };

export const SANDBOX_TOKENS_MESSAGE =
  'use one of the sandbox tokens pm_approve, pm_approve_lost_webhook, pm_decline, pm_no_answer, pm_fail_<N>, pm_fail_<N>_no_answer, ' +
  `pm_approve_capture_fail_<N>, pm_approve_refund_fail_<N>, pm_approve_capture_refused or pm_approve_refund_refused (N from 1 to ${MAX_SANDBOX_FAILURES})`;

/** How many times the request API fails before it accepts the payment. */
export function failuresBeforeAccept(outcome: SandboxOutcome): number {
  return outcome.kind === 'fail_then_approve' || outcome.kind === 'fail_then_no_answer' ? outcome.failures : 0;
}

/** How the payment's operations of one kind go: how many calls fail transiently first, and whether they are refused for good. */
export function operationBehaviour(outcome: SandboxOutcome, operation: OperationKind): { failures: number; refused: boolean } {
  const fault = outcome.kind === 'approve' && outcome.fault?.operation === operation ? outcome.fault : undefined;
  return { failures: fault && 'failures' in fault ? fault.failures : 0, refused: fault !== undefined && 'refused' in fault };
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
  const fault = parseOperationFault(token);
  if (fault) return { kind: 'approve', fault };
  // No leading zeros: one spelling per token, as with any id.
  const match = /^pm_fail_([1-9]\d?)(_no_answer)?$/.exec(token);
  const failures = match ? Number(match[1]) : NaN;
  if (!(failures <= MAX_SANDBOX_FAILURES)) return undefined;
  return match?.[2] ? { kind: 'fail_then_no_answer', failures } : { kind: 'fail_then_approve', failures };
}

/** pm_approve_<capture|refund>_fail_<N> or pm_approve_<capture|refund>_refused. */
function parseOperationFault(token: string): OperationFault | undefined {
  const match = /^pm_approve_(capture|refund)_(?:fail_([1-9]\d?)|refused)$/.exec(token);
  if (!match) return undefined;
  const operation = match[1] as OperationKind;
  if (match[2] === undefined) return { operation, refused: true };
  const failures = Number(match[2]);
  return failures <= MAX_SANDBOX_FAILURES ? { operation, failures } : undefined;
}
