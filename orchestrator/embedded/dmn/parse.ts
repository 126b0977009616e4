// Reads a DMN file (DMN 1.3, as Camunda Modeler writes it) with dmn-moddle into the
// decisions the evaluator runs. Anything it cannot run is refused here, at deploy,
// naming each element's id and why: a decision without a decision table or literal
// expression, an unknown hit policy or aggregation, FEEL that does not parse, a required
// decision outside the file, a cycle of required decisions.
import { DmnModdle } from 'dmn-moddle';
import { EngineError } from '../../engine.js';
import {
  AGGREGATIONS,
  HIT_POLICIES,
  type Aggregation,
  type DecisionTable,
  type HitPolicy,
  type LiteralExpression,
  type ParsedDecision,
  type ParsedDecisions,
  type TableOutput,
} from './drg.js';
import { type DecisionProblem, UnsupportedDecisionError } from './errors.js';
import { evaluateExpression } from './expressions.js';
import { feelSyntaxError } from './feel-syntax.js';

type Moddle = { $type: string; id?: string; name?: string; [k: string]: unknown };

// Namespaces of the DMN versions after 1.3, which dmn-moddle does not read.
const NEWER_DMN = /https:\/\/www\.omg\.org\/spec\/DMN\/(20211108|20230324)\/MODEL\//;

const text = (el: unknown): string => String((el as { text?: unknown } | undefined)?.text ?? '').trim();
const list = (v: unknown): Moddle[] => (Array.isArray(v) ? (v as Moddle[]) : []);

class Problems {
  readonly all: DecisionProblem[] = [];
  add(elementId: string | undefined, reason: string): void {
    this.all.push({ elementId: elementId ?? '(no id)', reason });
  }
  /** A FEEL cell that does not parse, or is in another expression language. */
  feel(el: Moddle | undefined, fallbackId: string, kind: 'expression' | 'unaryTests', where: string): string {
    const value = text(el);
    const language = String(el?.expressionLanguage ?? 'feel').toLowerCase();
    if (!['feel', 'https://www.omg.org/spec/dmn/20191111/feel/'].includes(language)) {
      this.add(el?.id ?? fallbackId, `${where}: expression language '${language}' is not supported (only FEEL)`);
      return value;
    }
    const error = feelSyntaxError(value, kind);
    if (error) this.add(el?.id ?? fallbackId, `${where}: ${error}`);
    return value;
  }
}

// dmn-moddle's warning for content it dropped: "unparsable content <rule> detected\n\tline: 2\n\tcolumn: 9\n\tnested error: duplicate ID <r1>".
const DROPPED = /^unparsable content (<[^>]*>) detected\s+line: (\d+)\s+column: (\d+)\s+nested error: (.*)$/s;
const droppedContent = (warning: string) => {
  const m = DROPPED.exec(warning);
  return m ? `${m[4]?.trim()}: ${m[1]} at line ${m[2]}, column ${m[3]}` : warning.replace(/\s+/g, ' ').trim();
};

/** The file's definitions, and what dmn-moddle dropped from it (an unknown element, a duplicate id): it would silently change the decisions. */
async function definitionsOf(xml: string): Promise<{ definitions: Moddle; dropped: string[] }> {
  try {
    const { rootElement, warnings } = await new DmnModdle().fromXML(xml);
    const dropped = warnings.filter((w) => w.message.startsWith('unparsable content')).map((w) => droppedContent(w.message));
    return { definitions: rootElement as Moddle, dropped };
  } catch (err) {
    if (NEWER_DMN.test(xml))
      throw new EngineError('INVALID_ARGUMENT', 'Not a DMN 1.3 file: DMN 1.4 and 1.5 are not read; save it as DMN 1.3 (Camunda Modeler does)');
    throw new EngineError('INVALID_ARGUMENT', `Not a DMN file: ${(err as Error).message}`);
  }
}

/** `outputValues` as a list, for PRIORITY and OUTPUT ORDER: the values are FEEL literals separated by commas. */
function priorities(output: Moddle, problems: Problems, where: string): unknown[] {
  const values = text(output.outputValues);
  if (values === '') return [];
  try {
    return evaluateExpression(`[${values}]`, {}) as unknown[];
  } catch (err) {
    problems.add((output.outputValues as Moddle).id ?? output.id, `${where}: output values '${values}' are not a list of values: ${(err as Error).message}`);
    return [];
  }
}

function decisionTable(decision: Moddle, table: Moddle, problems: Problems): DecisionTable {
  const where = `decision '${decision.id}'`;
  const hitPolicy = String(table.hitPolicy ?? 'UNIQUE') as HitPolicy;
  if (!HIT_POLICIES.includes(hitPolicy)) problems.add(table.id, `${where}: unknown hit policy '${hitPolicy}' (one of ${HIT_POLICIES.join(', ')})`);
  const aggregation = table.aggregation === undefined ? undefined : (String(table.aggregation) as Aggregation);
  if (aggregation !== undefined && !AGGREGATIONS.includes(aggregation))
    problems.add(table.id, `${where}: unknown aggregation '${aggregation}' (one of ${AGGREGATIONS.join(', ')})`);
  const inputs = list(table.input).map((input) => {
    const expression = input.inputExpression as Moddle | undefined;
    if (!text(expression)) problems.add(expression?.id ?? input.id, `${where}: input '${input.id}' has no input expression`);
    else problems.feel(expression, String(input.id), 'expression', `${where}, input '${input.id}'`);
    return { id: String(input.id), label: input.label as string | undefined, expression: text(expression) };
  });
  const byPriority = hitPolicy === 'PRIORITY' || hitPolicy === 'OUTPUT ORDER';
  const outputs: TableOutput[] = list(table.output).map((output) => {
    const defaultEntry = output.defaultOutputEntry as Moddle | undefined;
    const defaultExpression = defaultEntry
      ? problems.feel(defaultEntry, String(output.id), 'expression', `${where}, default of output '${output.id}'`)
      : undefined;
    return {
      id: String(output.id),
      name: output.name as string | undefined,
      label: output.label as string | undefined,
      priorities: byPriority ? priorities(output, problems, `${where}, output '${output.id}'`) : [],
      defaultExpression,
    };
  });
  if (outputs.length === 0) problems.add(table.id, `${where}: a decision table needs at least one output`);
  // DMN-scala: a multi-output result is a context keyed by output name.
  if (outputs.length > 1)
    for (const o of outputs) if (!o.name) problems.add(o.id, `${where}: output '${o.label ?? o.id}' needs a name (the table has several outputs)`);
  if (hitPolicy === 'COLLECT' && aggregation && outputs.length > 1)
    problems.add(table.id, `${where}: COLLECT with ${aggregation} needs exactly one output (it has ${outputs.length})`);
  const rules = list(table.rule).map((rule, i) => {
    const ruleWhere = `${where}, rule '${rule.id}' (index ${i + 1})`;
    const inputEntries = list(rule.inputEntry);
    const outputEntries = list(rule.outputEntry);
    if (inputEntries.length !== inputs.length) problems.add(rule.id, `${ruleWhere}: has ${inputEntries.length} input entries for ${inputs.length} inputs`);
    if (outputEntries.length !== outputs.length)
      problems.add(rule.id, `${ruleWhere}: has ${outputEntries.length} output entries for ${outputs.length} outputs`);
    return {
      id: String(rule.id),
      index: i + 1,
      inputEntries: inputEntries.map((e) => problems.feel(e, String(rule.id), 'unaryTests', `${ruleWhere}, input entry`)),
      outputEntries: outputEntries.map((e) => problems.feel(e, String(rule.id), 'expression', `${ruleWhere}, output entry`)),
    };
  });
  return { kind: 'DECISION_TABLE', hitPolicy, ...(hitPolicy === 'COLLECT' && aggregation ? { aggregation } : {}), inputs, outputs, rules };
}

function literalExpression(decision: Moddle, logic: Moddle, problems: Problems): LiteralExpression {
  const where = `decision '${decision.id}'`;
  if (!text(logic)) problems.add(logic.id ?? decision.id, `${where}: the literal expression is empty`);
  else problems.feel(logic, String(decision.id), 'expression', `${where}, literal expression`);
  return { kind: 'LITERAL_EXPRESSION', id: String(logic.id ?? decision.id), expression: text(logic) };
}

function decisionOf(decision: Moddle, localIds: Set<string>, problems: Problems): ParsedDecision {
  const id = String(decision.id);
  const logic = decision.decisionLogic as Moddle | undefined;
  let parsed: ParsedDecision['logic'];
  if (logic?.$type === 'dmn:DecisionTable') parsed = decisionTable(decision, logic, problems);
  else if (logic?.$type === 'dmn:LiteralExpression') parsed = literalExpression(decision, logic, problems);
  else {
    const found = logic ? `it has a ${logic.$type.replace(/^dmn:/, '')}, which is not supported` : 'it has none';
    problems.add(id, `decision '${id}' needs a decision table or a literal expression: ${found}`);
    parsed = { kind: 'LITERAL_EXPRESSION', id, expression: '' };
  }
  const requires: string[] = [];
  for (const requirement of list(decision.informationRequirement)) {
    const href = (requirement.requiredDecision as { href?: string } | undefined)?.href;
    if (href === undefined) continue; // required input data: the process variables
    const requiredId = href.startsWith('#') ? href.slice(1) : undefined;
    if (requiredId === undefined || !localIds.has(requiredId))
      problems.add(requirement.id ?? id, `decision '${id}' requires decision '${href}', which is not in this file`);
    else requires.push(requiredId);
  }
  if (list(decision.knowledgeRequirement).length > 0) problems.add(id, `decision '${id}': business knowledge models are not supported`);
  const variable = (decision.variable as Moddle | undefined)?.name;
  return { id, name: decision.name, resultName: variable || id, requires, logic: parsed };
}

/** Each decision that lies on a cycle of required decisions, with the cycle. */
function cycles(decisions: Map<string, ParsedDecision>, problems: Problems): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const reported = new Set<string>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(id)), id];
      for (const member of cycle.slice(0, -1)) {
        if (reported.has(member)) continue;
        reported.add(member);
        problems.add(member, `decision '${member}' is on a cycle of required decisions: ${cycle.join(' → ')}`);
      }
      return;
    }
    state.set(id, 'visiting');
    for (const required of decisions.get(id)?.requires ?? []) visit(required, [...path, id]);
    state.set(id, 'done');
  };
  for (const id of decisions.keys()) visit(id, []);
}

/** The decisions of a DMN file, or an INVALID_ARGUMENT naming every problem (`resourceName` only names the file in the message). */
export async function parseDecisions(xml: string, resourceName?: string): Promise<ParsedDecisions> {
  const { definitions, dropped } = await definitionsOf(xml);
  const elements = list(definitions.drgElement).filter((e) => e.$type === 'dmn:Decision');
  const problems = new Problems();
  for (const message of dropped) problems.add(String(definitions.id), `not a valid DMN 1.3 file: ${message}`);
  if (elements.length === 0 && dropped.length === 0) throw new EngineError('INVALID_ARGUMENT', `${resourceName ?? 'The DMN file'} has no decision`);
  const localIds = new Set(elements.map((e) => String(e.id)));
  const decisions = new Map(elements.map((e) => [String(e.id), decisionOf(e, localIds, problems)]));
  cycles(decisions, problems);
  if (problems.all.length > 0) throw new UnsupportedDecisionError(resourceName, problems.all);
  return { id: String(definitions.id), name: definitions.name, decisions };
}
