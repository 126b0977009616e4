// The decision side's errors: a DMN file refused at deploy (naming each element and why),
// and a decision that failed to evaluate (an incident on the business rule task).
import { EngineError } from '../../engine.js';
import type { EvaluatedDecision } from './evaluated.js';

export type DecisionProblem = { elementId: string; reason: string };

export class UnsupportedDecisionError extends EngineError {
  constructor(
    readonly resourceName: string | undefined,
    readonly problems: DecisionProblem[],
  ) {
    super(
      'INVALID_ARGUMENT',
      `The embedded engine cannot run the decisions of ${resourceName ?? 'this DMN file'}:\n${problems.map((p) => `  - ${p.elementId}: ${p.reason}`).join('\n')}`,
    );
    this.name = 'UnsupportedDecisionError';
  }
}

/** Why one decision failed, in Zeebe's words after "but" (evaluate.ts names the decisions around it). */
export class DecisionFailure extends Error {
  override name = 'DecisionFailure';
}

/**
 * A decision failed: `decisionId` is the one that failed (the called one or one it requires),
 * `evaluated` what was evaluated up to the failure, the failed decision last (as far as it got, output null).
 */
export class DecisionEvaluationError extends Error {
  override name = 'DecisionEvaluationError';
  constructor(
    message: string,
    readonly decisionId: string,
    readonly evaluated: EvaluatedDecision[],
  ) {
    super(message);
  }
}
