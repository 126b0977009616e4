// DMN written inline for the decision tests: a DMN 1.3 file (the namespace Camunda
// Modeler writes) around decisions built by `table` and `literal`. FEEL is escaped here.
import { evaluateDecision } from '../../../orchestrator/embedded/dmn/evaluate.js';
import { parseDecisions } from '../../../orchestrator/embedded/dmn/parse.js';

const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const attr = (s: string) => xmlText(s).replace(/"/g, '&quot;');

/** A DMN file with these decisions; `id` is its definitions id (the decision requirements id). */
export function dmn(id: string, decisions: string, name = id): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/" id="${id}" name="${attr(name)}" namespace="http://camunda.org/schema/1.0/dmn">
${decisions}
</definitions>`;
}

const requirements = (decisionId: string, requires: string[]) =>
  requires.map((r) => `<informationRequirement id="${decisionId}-requires-${r}"><requiredDecision href="#${r}"/></informationRequirement>`).join('');

export type Output = string | { name: string; values?: string; default?: string };

/**
 * A decision table. `rules`: per rule its input entries then its output entries, each a
 * FEEL cell as written in Camunda Modeler; rule ids are `r1`, `r2`, … unless `ruleIds` names them.
 */
export function table(
  id: string,
  o: {
    name?: string;
    hitPolicy?: string;
    aggregation?: string;
    inputs: string[];
    outputs: Output[];
    rules: [string[], string[]][];
    requires?: string[];
    ruleIds?: string[];
  },
): string {
  const inputs = o.inputs.map(
    (e, i) => `<input id="${id}-in${i + 1}" label="In ${i + 1}"><inputExpression id="${id}-ie${i + 1}"><text>${xmlText(e)}</text></inputExpression></input>`,
  );
  const outputs = o.outputs.map((out, i) => {
    const x = typeof out === 'string' ? { name: out } : out;
    const values = x.values === undefined ? '' : `<outputValues id="${id}-ov${i + 1}"><text>${xmlText(x.values)}</text></outputValues>`;
    const dflt = x.default === undefined ? '' : `<defaultOutputEntry id="${id}-do${i + 1}"><text>${xmlText(x.default)}</text></defaultOutputEntry>`;
    return `<output id="${id}-out${i + 1}" label="Out ${i + 1}" name="${attr(x.name)}">${values}${dflt}</output>`;
  });
  const rules = o.rules.map(([ins, outs], r) => {
    const ruleId = o.ruleIds?.[r] ?? `r${r + 1}`;
    const entries = ins.map((e, i) => `<inputEntry id="${id}-${ruleId}-i${i + 1}"><text>${xmlText(e)}</text></inputEntry>`).join('');
    const results = outs.map((e, i) => `<outputEntry id="${id}-${ruleId}-o${i + 1}"><text>${xmlText(e)}</text></outputEntry>`).join('');
    return `<rule id="${ruleId}">${entries}${results}</rule>`;
  });
  const policy = `${o.hitPolicy ? ` hitPolicy="${o.hitPolicy}"` : ''}${o.aggregation ? ` aggregation="${o.aggregation}"` : ''}`;
  return `<decision id="${id}" name="${attr(o.name ?? id)}">${requirements(id, o.requires ?? [])}<decisionTable id="${id}-table"${policy}>${inputs.join('')}${outputs.join('')}${rules.join('')}</decisionTable></decision>`;
}

/** A decision with a literal expression; `variable` names its result for requiring decisions (else its id). */
export function literal(id: string, expression: string, o: { variable?: string; requires?: string[]; name?: string } = {}): string {
  const variable = o.variable ? `<variable id="${id}-var" name="${attr(o.variable)}"/>` : '';
  return `<decision id="${id}" name="${attr(o.name ?? id)}">${variable}${requirements(id, o.requires ?? [])}<literalExpression id="${id}-expr"><text>${xmlText(expression)}</text></literalExpression></decision>`;
}

/** Parses the decisions and evaluates one (pure: no engine, no database). */
export async function evaluate(decisions: string, decisionId: string, variables: Record<string, unknown> = {}) {
  return evaluateDecision(await parseDecisions(dmn('drg', decisions)), decisionId, variables);
}

/** The output only. */
export async function outputOf(decisions: string, decisionId: string, variables: Record<string, unknown> = {}) {
  return (await evaluate(decisions, decisionId, variables)).output;
}

/** The evaluation's failure (a DecisionEvaluationError), or an error when it did not fail. */
export async function failureOf(decisions: string, decisionId: string, variables: Record<string, unknown> = {}) {
  const drg = await parseDecisions(dmn('drg', decisions));
  try {
    evaluateDecision(drg, decisionId, variables);
  } catch (err) {
    return err as Error & { decisionId: string; evaluated: unknown[] };
  }
  throw new Error(`decision ${decisionId} did not fail`);
}
