// Evaluates a decision of a deployed DMN file the way Zeebe (DMN-scala) does: the decisions
// it requires first, each once, depth first in document order; each sees the variables
// plus the results of the decisions it requires directly, under their result names (the
// decision's variable name, else its id). The evaluator's whole interface is this file.
import type { ParsedDecision, ParsedDecisions } from './drg.js';
import { evaluateTable } from './decision-table.js';
import { DecisionEvaluationError, DecisionFailure } from './errors.js';
import type { DecisionResult, EvaluatedDecision } from './evaluated.js';
import { plain, type FeelContext } from './expressions.js';
import { evaluateLiteral } from './literal-expression.js';

export type { ParsedDecisions } from './drg.js';
export type { DecisionResult, EvaluatedDecision } from './evaluated.js';
export { DecisionEvaluationError } from './errors.js';

/** The decision and those it requires, each after the ones it requires. */
function evaluationOrder(drg: ParsedDecisions, decisionId: string): ParsedDecision[] {
  const order: ParsedDecision[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const decision = drg.decisions.get(id) as ParsedDecision; // parse.ts refused requirements outside the file and cycles
    for (const required of decision.requires) visit(required);
    order.push(decision);
  };
  visit(decisionId);
  return order;
}

/**
 * Evaluates `decisionId` of `drg` against the variables. Throws a DecisionEvaluationError
 * (message as Zeebe's: "Expected to evaluate decision 'X', but …") when a decision fails.
 */
export function evaluateDecision(drg: ParsedDecisions, decisionId: string, variables: Record<string, unknown>): DecisionResult {
  if (!drg.decisions.has(decisionId)) {
    throw new DecisionEvaluationError(`Expected to evaluate decision '${decisionId}', but no decision found with id '${decisionId}'`, decisionId, []);
  }
  const results = new Map<string, unknown>();
  const evaluated: EvaluatedDecision[] = [];
  for (const decision of evaluationOrder(drg, decisionId)) {
    const context: FeelContext = { ...variables };
    for (const required of decision.requires) context[(drg.decisions.get(required) as ParsedDecision).resultName] = results.get(required);
    const entry: EvaluatedDecision = {
      decisionId: decision.id,
      decisionName: decision.name,
      decisionType: decision.logic.kind,
      inputs: [],
      matchedRules: [],
      output: null,
    };
    evaluated.push(entry);
    let output: unknown;
    try {
      output = decision.logic.kind === 'DECISION_TABLE' ? evaluateTable(decision.logic, context, entry) : evaluateLiteral(decision.logic, context);
    } catch (err) {
      if (!(err instanceof DecisionFailure)) throw err;
      const reason = decision.id === decisionId ? err.message : `its required decision '${decision.id}' failed: ${err.message}`;
      throw new DecisionEvaluationError(`Expected to evaluate decision '${decisionId}', but ${reason}`, decision.id, evaluated);
    }
    results.set(decision.id, output);
    entry.output = plain(output);
  }
  return { output: (evaluated.at(-1) as EvaluatedDecision).output, evaluated };
}
