// FEEL at evaluation time, as DMN uses it: expressions (input expressions, output entries,
// literal expressions) and unary tests (input entries) against a context. Values stay
// feelin's own between cells (a date compares as a date); `plain` turns them into JSON.
// feelin answers null with a warning where FEEL-Scala suppresses a failure (a missing
// variable, a wrong argument): so does Zeebe. Only an expression feelin cannot evaluate
// at all (it throws) fails the decision.
import { evaluate, unaryTest } from 'feelin';

export type FeelContext = Record<string, unknown>;

/** The expression's value; throws when feelin cannot evaluate it. */
export function evaluateExpression(expression: string, context: FeelContext): unknown {
  return evaluate(expression, context).value;
}

/** The context an input's entries are tested in: the input's value is `?`. */
export const withInput = (context: FeelContext, input: unknown): FeelContext => ({ ...context, '?': input });

/** Whether the input (`?` of `context`, see withInput) passes the unary tests: `-` and an empty entry pass anything; null (not comparable) does not. */
export function passes(entry: string, context: FeelContext): boolean {
  const text = entry.trim();
  if (text === '' || text === '-') return true;
  return unaryTest(text, context).value === true;
}

/** A FEEL value as JSON: temporal values as their ISO strings (as Zeebe serialises them), lists and contexts deeply. */
export function plain(value: unknown): unknown {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    if (Object.getPrototypeOf(value) === Object.prototype) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    return String(value); // feelin's dates, times and durations print as ISO 8601
  }
  return value;
}
