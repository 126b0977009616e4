// How a decision table's matched rules make its result, per hit policy, as DMN 1.3 defines
// them and DMN-scala (Zeebe) applies them. A rule's outputs make one value: the value itself
// for a single-output table, a context {outputName: value} for several outputs.
// Single-hit policies (UNIQUE, FIRST, PRIORITY, ANY) give that value; multi-hit ones (RULE
// ORDER, OUTPUT ORDER, COLLECT) a list of them, or COLLECT's aggregate (SUM, MIN, MAX, COUNT).
// No matched rule at all is decided before (decision-table.ts): null, or the default outputs.
import type { DecisionTable, TableOutput } from './drg.js';
import { DecisionFailure } from './errors.js';
import { plain } from './expressions.js';

/** A matched rule and its output entries' values, in output order. */
export type RuleHit = { ruleId: string; ruleIndex: number; values: unknown[] };

/** The value one rule's outputs make. */
function ruleValue(outputs: TableOutput[], values: unknown[]): unknown {
  if (outputs.length === 1) return values[0] ?? null;
  return Object.fromEntries(outputs.map((o, i) => [o.name ?? o.id, values[i] ?? null]));
}

const named = (hits: RuleHit[]) => hits.map((h) => `'${h.ruleId}'`).join(', ');

/** Where a value ranks in an output's `outputValues` (unlisted values after all listed ones). */
function rank(output: TableOutput, value: unknown): number {
  const key = JSON.stringify(plain(value));
  const at = output.priorities.findIndex((p) => JSON.stringify(plain(p)) === key);
  return at === -1 ? output.priorities.length : at;
}

/** PRIORITY and OUTPUT ORDER: by the first output's `outputValues` order, then the next output's; ties keep rule order. */
function byPriority(table: DecisionTable, hits: RuleHit[]): RuleHit[] {
  const ranks = new Map(hits.map((h) => [h, table.outputs.map((o, i) => rank(o, h.values[i]))]));
  return [...hits].sort((a, b) => {
    const ra = ranks.get(a) as number[];
    const rb = ranks.get(b) as number[];
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
    return 0;
  });
}

function numbers(table: DecisionTable, hits: RuleHit[]): number[] {
  return hits.map((h) => {
    const value = h.values[0];
    if (typeof value !== 'number') {
      throw new DecisionFailure(
        `COLLECT ${table.aggregation} needs numbers: rule '${h.ruleId}' (index ${h.ruleIndex}) gave ${JSON.stringify(plain(value ?? null))}`,
      );
    }
    return value;
  });
}

/** The table's result from its matched rules (at least one), in rule order. Throws a DecisionFailure when the policy is violated. */
export function applyHitPolicy(table: DecisionTable, hits: RuleHit[]): unknown {
  const value = (h: RuleHit) => ruleValue(table.outputs, h.values);
  switch (table.hitPolicy) {
    case 'UNIQUE':
      if (hits.length > 1) throw new DecisionFailure(`more than one rule matched (UNIQUE): ${named(hits)}`);
      return value(hits[0] as RuleHit);
    case 'FIRST':
      return value(hits[0] as RuleHit);
    case 'ANY': {
      const distinct = new Set(hits.map((h) => JSON.stringify(plain(value(h)))));
      if (distinct.size > 1) throw new DecisionFailure(`rules with different outputs matched (ANY): ${named(hits)}`);
      return value(hits[0] as RuleHit);
    }
    case 'PRIORITY':
      return value(byPriority(table, hits)[0] as RuleHit);
    case 'OUTPUT ORDER':
      return byPriority(table, hits).map(value);
    case 'RULE ORDER':
      return hits.map(value);
    case 'COLLECT':
      switch (table.aggregation) {
        case undefined:
          return hits.map(value);
        case 'COUNT':
          return hits.length;
        case 'SUM':
          return numbers(table, hits).reduce((a, b) => a + b, 0);
        case 'MIN':
          return Math.min(...numbers(table, hits));
        case 'MAX':
          return Math.max(...numbers(table, hits));
      }
  }
}
