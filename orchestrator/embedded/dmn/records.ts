// What a business rule task records of its evaluation (engine_decision_evaluations, what
// Operate shows): one row per evaluated decision, required ones first, each under the
// key and version of its own decision in the deployed DRG; a failure on the one that failed.
import type { DecisionEvaluationRow } from '../store/decisions.js';
import type { DeployedDecision } from './deployed-decisions.js';
import { DecisionEvaluationError } from './errors.js';
import type { DecisionResult } from './evaluated.js';

export type EvaluationRecord = Omit<DecisionEvaluationRow, 'key'>;

/** The rows for `outcome` (a result or the error evaluateDecision threw) of the task `at`; the caller gives each a key. */
export function evaluationRecords(
  decision: DeployedDecision,
  outcome: DecisionResult | DecisionEvaluationError,
  at: { processInstanceKey: string; elementInstanceKey: string; elementId: string },
): EvaluationRecord[] {
  const failed = outcome instanceof DecisionEvaluationError ? outcome : undefined;
  return outcome.evaluated.map((e) => {
    const deployed = decision.drgVersions.get(e.decisionId) as { key: string; version: number }; // every decision of the DRG has one
    const failure = failed && e.decisionId === failed.decisionId ? failed.message : null;
    return {
      ...at,
      decisionKey: deployed.key,
      decisionId: e.decisionId,
      decisionVersion: deployed.version,
      decisionType: e.decisionType,
      inputs: e.inputs,
      matchedRules: e.matchedRules,
      output: failure === null ? e.output : null,
      failure,
    };
  });
}
