// One decision table, evaluated as DMN-scala (Zeebe) does: the input expressions first,
// then each rule's input entries against them in rule order (a rule matches when every
// entry passes), then the matched rules' output entries (FIRST: the first rule's only),
// then the hit policy. No rule matched: the outputs' defaults, or null without any.
// What was evaluated goes into `trace` as it happens, so a failure still shows it.
import type { DecisionTable } from './drg.js';
import { DecisionFailure } from './errors.js';
import type { EvaluatedDecision } from './evaluated.js';
import { evaluateExpression, passes, plain, withInput, type FeelContext } from './expressions.js';
import { applyHitPolicy, type RuleHit } from './hit-policies.js';

export type TableTrace = Pick<EvaluatedDecision, 'inputs' | 'matchedRules'>;

function failed(expression: string, of: string, err: unknown): DecisionFailure {
  return new DecisionFailure(`failed to evaluate expression '${expression}' of ${of}: ${(err as Error).message}`);
}

/** The table's result (FEEL values, not yet plain). Throws a DecisionFailure naming the input or rule. */
export function evaluateTable(table: DecisionTable, context: FeelContext, trace: TableTrace): unknown {
  const inputValues = table.inputs.map((input) => {
    let value: unknown;
    try {
      value = evaluateExpression(input.expression, context);
    } catch (err) {
      throw failed(input.expression, `input '${input.id}'`, err);
    }
    trace.inputs.push({ inputId: input.id, inputName: input.label, value: plain(value) });
    return value;
  });

  const entryContexts = inputValues.map((value) => withInput(context, value));
  const matched = table.rules.filter((rule) =>
    rule.inputEntries.every((entry, i) => {
      try {
        return passes(entry, entryContexts[i] as FeelContext);
      } catch (err) {
        throw failed(entry, `rule '${rule.id}' (index ${rule.index})`, err);
      }
    }),
  );

  if (matched.length === 0) {
    // DMN-scala: the outputs that have a default make the result (one: its value; several: a context), none: null.
    const defaults = table.outputs.flatMap((o) => {
      if (!o.defaultExpression) return [];
      try {
        return [[o.name ?? o.id, evaluateExpression(o.defaultExpression, context)] as const];
      } catch (err) {
        throw failed(o.defaultExpression, `the default of output '${o.id}'`, err);
      }
    });
    if (defaults.length === 0) return null;
    return defaults.length === 1 ? defaults[0]?.[1] : Object.fromEntries(defaults);
  }

  const hits: RuleHit[] = (table.hitPolicy === 'FIRST' ? matched.slice(0, 1) : matched).map((rule) => {
    const values = rule.outputEntries.map((entry) => {
      try {
        return evaluateExpression(entry, context);
      } catch (err) {
        throw failed(entry, `rule '${rule.id}' (index ${rule.index})`, err);
      }
    });
    trace.matchedRules.push({
      ruleId: rule.id,
      ruleIndex: rule.index,
      evaluatedOutputs: table.outputs.map((o, i) => ({ outputId: o.id, outputName: o.name, value: plain(values[i]) })),
    });
    return { ruleId: rule.id, ruleIndex: rule.index, values };
  });
  return applyHitPolicy(table, hits);
}
