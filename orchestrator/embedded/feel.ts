// FEEL the way Zeebe uses it: a value starting with `=` is an expression evaluated
// against the variables in scope; anything else is a static string.
import { evaluate } from 'feelin';
import type { Variables } from '../engine.js';

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

function toPlain(value: unknown): unknown {
  // feelin returns temporal values as objects; Zeebe serialises them as ISO strings.
  if (value && typeof value === 'object' && 'iso' in value && typeof (value as { iso: unknown }).iso === 'string') return (value as { iso: string }).iso;
  if (value && typeof value === 'object' && typeof (value as { toISO?: unknown }).toISO === 'function') return (value as { toISO(): string }).toISO();
  if (Array.isArray(value)) return value.map(toPlain);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}

export function isExpression(value: string): boolean {
  return value.trimStart().startsWith('=');
}

/** Evaluates `=expr` as FEEL (or returns a static value as is). Throws ExpressionError on a syntax error. */
export function evaluateValue(value: string, variables: Variables): unknown {
  if (!isExpression(value)) return value;
  const expr = value.trimStart().slice(1);
  try {
    return toPlain(evaluate(expr, variables).value);
  } catch (err) {
    throw new ExpressionError(`failed to evaluate expression '${expr}': ${(err as Error).message}`);
  }
}

/** Conditions on sequence flows: true only for a FEEL boolean true. */
export function evaluateCondition(value: string, variables: Variables): boolean {
  const result = evaluateValue(value.startsWith('=') ? value : `=${value}`, variables);
  if (typeof result !== 'boolean' && result !== null && result !== undefined) {
    throw new ExpressionError(`condition '${value}' evaluated to ${JSON.stringify(result)}, expected a boolean`);
  }
  return result === true;
}

/** A target like `a.b.c` writes a nested context, as Zeebe's output mappings do. */
export function assignPath(target: Variables, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Record<string, unknown> = target;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts.at(-1) as string] = value;
}
