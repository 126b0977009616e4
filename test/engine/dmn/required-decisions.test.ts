// Literal expressions, and decisions that require others (DMN information requirements),
// evaluated as Zeebe (DMN-scala) does. Pure evaluation: no engine, no database.
import { describe, expect, test } from '@jest/globals';
import { DecisionEvaluationError } from '../../../orchestrator/embedded/dmn/evaluate.js';
import { evaluate, failureOf, literal, outputOf, table } from './support.js';

describe('literal expressions (DMN boxed literal expression)', () => {
  test("a literal expression decision's output is its FEEL value: numbers, strings, contexts, lists", async () => {
    expect(await outputOf(literal('total', 'price * quantity'), 'total', { price: 2.5, quantity: 4 })).toBe(10);
    expect(await outputOf(literal('greeting', '"Hello " + name'), 'greeting', { name: 'Ada' })).toBe('Hello Ada');
    expect(await outputOf(literal('ctx', '{id: orderId, lines: count(lines)}'), 'ctx', { orderId: 'o-1', lines: [1, 2] })).toEqual({ id: 'o-1', lines: 2 });
  });

  test('a literal expression is reported as LITERAL_EXPRESSION, with no inputs or matched rules (Zeebe)', async () => {
    expect((await evaluate(literal('x', '1 + 1'), 'x')).evaluated).toEqual([
      { decisionId: 'x', decisionName: 'x', decisionType: 'LITERAL_EXPRESSION', inputs: [], matchedRules: [], output: 2 },
    ]);
  });

  test('a literal expression that fails names the expression and the FEEL failure', async () => {
    const failure = await failureOf(literal('x', '[1..bound]'), 'x', { bound: 'z' });
    expect(failure).toBeInstanceOf(DecisionEvaluationError);
    expect(failure.message).toBe("Expected to evaluate decision 'x', but failed to evaluate expression '[1..bound]': unsupported range: 1..z");
  });
});

describe('required decisions (DMN information requirements, DMN-scala)', () => {
  const season = literal('season', 'if month >= 6 and month <= 8 then "summer" else "winter"');
  const dish = table('dish', {
    requires: ['season'],
    inputs: ['season'],
    outputs: ['dish'],
    rules: [
      [['"summer"'], ['"salad"']],
      [['"winter"'], ['"stew"']],
    ],
  });

  test("a required decision is evaluated first; its result is visible to the requiring decision under the required decision's id", async () => {
    expect(await outputOf(season + dish, 'dish', { month: 7 })).toBe('salad');
    expect(await outputOf(season + dish, 'dish', { month: 1 })).toBe('stew');
  });

  test('the evaluation reports the required decisions first and the called one last (Zeebe: evaluatedDecisions)', async () => {
    const result = await evaluate(season + dish, 'dish', { month: 7 });
    expect(result.evaluated.map((e) => [e.decisionId, e.output])).toEqual([
      ['season', 'summer'],
      ['dish', 'salad'],
    ]);
    expect(result.output).toBe('salad');
  });

  test("a required decision with a variable is visible under the variable's name instead (DMN-scala: the decision's variable, else its id)", async () => {
    const named = literal('season', '"summer"', { variable: 'currentSeason' });
    const requiring = literal('dish', 'if currentSeason = "summer" then "salad" else "stew"', { requires: ['season'] });
    expect(await outputOf(named + requiring, 'dish')).toBe('salad');
  });

  test('a decision required twice (a diamond) is evaluated once; each decision sees only the ones it requires directly', async () => {
    const base = literal('base', '10');
    const left = literal('left', 'base + 1', { requires: ['base'] });
    const right = literal('right', 'base + 2', { requires: ['base'] });
    const top = literal('top', '[left, right, base]', { requires: ['left', 'right'] });
    const result = await evaluate(base + left + right + top, 'top');
    expect(result.evaluated.map((e) => e.decisionId)).toEqual(['base', 'left', 'right', 'top']);
    // `base` is not required by `top` itself: to it, base is an unknown variable (null).
    expect(result.output).toEqual([11, 12, null]);
  });

  test('a required decision that fails fails the called one: the message names both, decisionId the failed one (Zeebe: failedDecisionId)', async () => {
    const broken = table('season', {
      inputs: ['month'],
      outputs: ['season'],
      rules: [
        [['< 6'], ['"winter"']],
        [['< 9'], ['"summer"']],
      ],
      ruleIds: ['s1', 's2'],
    });
    const failure = await failureOf(broken + dish, 'dish', { month: 3 });
    expect(failure.message).toBe(
      "Expected to evaluate decision 'dish', but its required decision 'season' failed: more than one rule matched (UNIQUE): 's1', 's2'",
    );
    expect(failure.decisionId).toBe('season');
    expect(failure.evaluated).toMatchObject([{ decisionId: 'season', output: null, matchedRules: [{ ruleId: 's1' }, { ruleId: 's2' }] }]);
  });

  test('evaluating a decision the file does not have fails, naming it (DMN-scala)', async () => {
    const failure = await failureOf(season, 'nope');
    expect(failure.message).toBe("Expected to evaluate decision 'nope', but no decision found with id 'nope'");
  });
});
