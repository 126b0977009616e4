// A decision whose logic is one FEEL expression: its value is the decision's output.
import type { LiteralExpression } from './drg.js';
import { DecisionFailure } from './errors.js';
import { evaluateExpression, type FeelContext } from './expressions.js';

/** The expression's value (a FEEL value, not yet plain). Throws a DecisionFailure with feelin's reason. */
export function evaluateLiteral(logic: LiteralExpression, context: FeelContext): unknown {
  try {
    return evaluateExpression(logic.expression, context);
  } catch (err) {
    throw new DecisionFailure(`failed to evaluate expression '${logic.expression}': ${(err as Error).message}`);
  }
}
