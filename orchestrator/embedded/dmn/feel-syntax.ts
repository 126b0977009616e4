// FEEL syntax checked at deploy with feelin's parser, so that a cell that cannot parse
// refuses the file (as Zeebe does) instead of failing each evaluation.
import { parseExpression, parseUnaryTests } from 'feelin';

/** Why `text` is not a FEEL expression (`expression`) or unary tests (`unaryTests`), or undefined when it parses. */
export function feelSyntaxError(text: string, kind: 'expression' | 'unaryTests'): string | undefined {
  if (text.trim() === '') return kind === 'expression' ? 'the expression is empty' : undefined;
  const tree = kind === 'expression' ? parseExpression(text, {}, undefined) : parseUnaryTests(text, {}, undefined);
  let error: string | undefined;
  tree.iterate({
    enter(node) {
      if (error !== undefined) return false;
      if (!node.type.isError) return undefined;
      error =
        node.from === node.to
          ? `FEEL ${kind === 'expression' ? 'expression' : 'unary-tests'} '${text}' is incomplete at position ${node.from + 1}`
          : `FEEL ${kind === 'expression' ? 'expression' : 'unary-tests'} '${text}' has an unexpected '${text.slice(node.from, node.to)}' at position ${node.from + 1}`;
      return false;
    },
  });
  return error;
}
