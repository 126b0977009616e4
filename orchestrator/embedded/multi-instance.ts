// Multi-instance values as Zeebe computes them: the input collection, and the local
// variables each inner instance starts with.
import type { Variables } from '../engine.js';
import { evaluateValue, ExpressionError } from './feel.js';
import type { Loop } from './model.js';

/** The element type of a multi-instance body (Zeebe's MULTI_INSTANCE_BODY): same element id as its activity. */
export const MULTI_INSTANCE_BODY = 'multiInstanceBody';

const FEEL_TYPE = (v: unknown) =>
  v === null || v === undefined ? 'NULL' : typeof v === 'string' ? 'STRING' : typeof v === 'number' ? 'NUMBER' : typeof v === 'boolean' ? 'BOOLEAN' : 'CONTEXT';

/** inputCollection must evaluate to an array; anything else is an incident (Zeebe's wording). */
export function readCollection(expression: string, variables: Variables): unknown[] {
  const value = evaluateValue(expression, variables);
  if (!Array.isArray(value))
    throw new ExpressionError(`Expected result of the expression '${expression.replace(/^\s*=/, '')}' to be 'ARRAY', but was '${FEEL_TYPE(value)}'.`);
  return value;
}

/**
 * An inner instance's local variables: loopCounter (from 1), the input element, and the
 * variable the output element names, created as a local null so that a job's result
 * lands in the inner instance and not in the process.
 */
export function loopLocals(loop: Loop, index: number, item: unknown): Variables {
  const locals: Variables = {};
  const outputVariable = loop.outputElement?.match(/^=\s*([A-Za-z_][A-Za-z0-9_]*)\s*$/)?.[1];
  if (outputVariable) locals[outputVariable] = null;
  if (loop.inputElement) locals[loop.inputElement] = item;
  locals.loopCounter = index + 1;
  return locals;
}
