// Hit policies and result shapes of decision tables, as DMN 1.3 defines them and Zeebe
// (DMN-scala) evaluates them. Pure evaluation: no engine, no database.
import { describe, expect, test } from '@jest/globals';
import { evaluate, failureOf, outputOf, table } from './support.js';

// One input (`n`), one output; rules match by range so that several can match at once.
const overlapping = (hitPolicy: string | undefined, outputs: string[], aggregation?: string) =>
  table('d', {
    hitPolicy,
    aggregation,
    inputs: ['n'],
    outputs: ['result'],
    rules: [
      [['< 10'], [outputs[0] as string]],
      [['< 20'], [outputs[1] as string]],
      [['< 30'], [outputs[2] as string]],
    ],
  });

describe('UNIQUE', () => {
  test('UNIQUE: the one matching rule gives the output; a single-output table gives the value itself', async () => {
    expect(await outputOf(overlapping('UNIQUE', ['"a"', '"b"', '"c"']), 'd', { n: 25 })).toBe('c');
  });

  test('UNIQUE is the hit policy when the table names none (DMN 1.3)', async () => {
    const failure = await failureOf(overlapping(undefined, ['"a"', '"b"', '"c"']), 'd', { n: 15 });
    expect(failure.message).toContain('(UNIQUE)');
  });

  test("UNIQUE: more than one matching rule fails the evaluation, naming the rules (Zeebe: 'Expected to evaluate decision …, but …')", async () => {
    const failure = await failureOf(overlapping('UNIQUE', ['"a"', '"b"', '"c"']), 'd', { n: 5 });
    expect(failure.message).toBe("Expected to evaluate decision 'd', but more than one rule matched (UNIQUE): 'r1', 'r2', 'r3'");
    expect(failure.decisionId).toBe('d');
  });

  test('single-hit policies give null when no rule matched (DMN-scala)', async () => {
    for (const policy of ['UNIQUE', 'FIRST', 'PRIORITY', 'ANY']) {
      expect(await outputOf(overlapping(policy, ['"a"', '"b"', '"c"']), 'd', { n: 99 })).toBeNull();
    }
  });
});

describe('FIRST', () => {
  test('FIRST: the first matching rule in rule order wins, and only it is reported as matched (DMN-scala)', async () => {
    const result = await evaluate(overlapping('FIRST', ['"a"', '"b"', '"c"']), 'd', { n: 15 });
    expect(result.output).toBe('b');
    expect(result.evaluated[0]?.matchedRules.map((r) => [r.ruleId, r.ruleIndex])).toEqual([['r2', 2]]);
  });
});

describe('PRIORITY', () => {
  const risk = (values: string) =>
    table('d', {
      hitPolicy: 'PRIORITY',
      inputs: ['age'],
      outputs: [{ name: 'risk', values }],
      rules: [
        [['>= 18'], ['"low"']],
        [['>= 60'], ['"high"']],
        [['>= 40'], ['"medium"']],
      ],
    });

  test("PRIORITY: the matching rule whose output comes first in the output's outputValues wins, whatever the rule order", async () => {
    expect(await outputOf(risk('"high","medium","low"'), 'd', { age: 70 })).toBe('high');
    expect(await outputOf(risk('"high","medium","low"'), 'd', { age: 45 })).toBe('medium');
    expect(await outputOf(risk('"low","medium","high"'), 'd', { age: 70 })).toBe('low');
  });

  test('PRIORITY: an output value missing from outputValues ranks after every listed one', async () => {
    expect(await outputOf(risk('"medium"'), 'd', { age: 70 })).toBe('medium');
  });

  test('PRIORITY over several outputs: the first output decides, the next one breaks its ties', async () => {
    const two = table('d', {
      hitPolicy: 'PRIORITY',
      inputs: ['x'],
      outputs: [
        { name: 'level', values: '"gold","silver"' },
        { name: 'rate', values: '3,2,1' },
      ],
      rules: [
        [['-'], ['"silver"', '3']],
        [['-'], ['"gold"', '1']],
        [['-'], ['"gold"', '2']],
      ],
    });
    expect(await outputOf(two, 'd', { x: 1 })).toEqual({ level: 'gold', rate: 2 });
  });
});

describe('ANY', () => {
  test('ANY: several matching rules with the same output give that output', async () => {
    expect(await outputOf(overlapping('ANY', ['"other"', '"same"', '"same"']), 'd', { n: 15 })).toBe('same');
  });

  test('ANY: matching rules with different outputs fail the evaluation, naming the rules', async () => {
    const failure = await failureOf(overlapping('ANY', ['"other"', '"same"', '"same"']), 'd', { n: 5 });
    expect(failure.message).toBe("Expected to evaluate decision 'd', but rules with different outputs matched (ANY): 'r1', 'r2', 'r3'");
  });
});

describe('multi-hit policies give a list', () => {
  test('RULE ORDER: every matching rule, in rule order', async () => {
    expect(await outputOf(overlapping('RULE ORDER', ['"a"', '"b"', '"c"']), 'd', { n: 15 })).toEqual(['b', 'c']);
  });

  test("OUTPUT ORDER: every matching rule, in the order of the output's outputValues", async () => {
    const ordered = table('d', {
      hitPolicy: 'OUTPUT ORDER',
      inputs: ['n'],
      outputs: [{ name: 'grade', values: '"A","B","C"' }],
      rules: [
        [['< 10'], ['"C"']],
        [['< 20'], ['"A"']],
        [['< 30'], ['"B"']],
      ],
    });
    expect(await outputOf(ordered, 'd', { n: 5 })).toEqual(['A', 'B', 'C']);
  });

  test('COLLECT without an aggregator: every matching rule, in rule order', async () => {
    expect(await outputOf(overlapping('COLLECT', ['"a"', '"b"', '"c"']), 'd', { n: 5 })).toEqual(['a', 'b', 'c']);
  });

  test('multi-output tables: each matching rule gives a context {outputName: value}, multi-hit policies a list of them', async () => {
    const discounts = table('d', {
      hitPolicy: 'RULE ORDER',
      inputs: ['total'],
      outputs: ['code', 'percent'],
      rules: [
        [['> 100'], ['"BIG"', '10']],
        [['> 50'], ['"MID"', '5']],
      ],
    });
    expect(await outputOf(discounts, 'd', { total: 120 })).toEqual([
      { code: 'BIG', percent: 10 },
      { code: 'MID', percent: 5 },
    ]);
  });

  test('no rule matched: multi-hit policies give null too, COLLECT with COUNT included (DMN-scala, Zeebe)', async () => {
    for (const [policy, aggregation] of [
      ['RULE ORDER'],
      ['OUTPUT ORDER'],
      ['COLLECT'],
      ['COLLECT', 'SUM'],
      ['COLLECT', 'MIN'],
      ['COLLECT', 'MAX'],
      ['COLLECT', 'COUNT'],
    ]) {
      expect(await outputOf(overlapping(policy, ['1', '2', '3'], aggregation), 'd', { n: 99 })).toBeNull();
    }
  });
});

describe('COLLECT with an aggregator gives a number', () => {
  test('COLLECT SUM (C+), MIN (C<), MAX (C>) and COUNT (C#) over the matching rules', async () => {
    const numbers = ['4', '1', '7'];
    expect(await outputOf(overlapping('COLLECT', numbers, 'SUM'), 'd', { n: 5 })).toBe(12);
    expect(await outputOf(overlapping('COLLECT', numbers, 'MIN'), 'd', { n: 5 })).toBe(1);
    expect(await outputOf(overlapping('COLLECT', numbers, 'MAX'), 'd', { n: 5 })).toBe(7);
    expect(await outputOf(overlapping('COLLECT', numbers, 'COUNT'), 'd', { n: 15 })).toBe(2);
    expect(await outputOf(overlapping('COLLECT', ['"x"', '"y"', '"z"'], 'COUNT'), 'd', { n: 5 })).toBe(3);
  });

  test('COLLECT SUM over an output that is not a number fails, naming the rule', async () => {
    const failure = await failureOf(overlapping('COLLECT', ['1', '"two"', '3'], 'SUM'), 'd', { n: 5 });
    expect(failure.message).toBe(`Expected to evaluate decision 'd', but COLLECT SUM needs numbers: rule 'r2' (index 2) gave "two"`);
  });
});

describe('default outputs (DMN defaultOutputEntry, DMN-scala)', () => {
  test('no rule matched: the outputs with a default give the result', async () => {
    const withDefault = table('d', { inputs: ['n'], outputs: [{ name: 'size', default: '"medium"' }], rules: [[['< 10'], ['"small"']]] });
    expect(await outputOf(withDefault, 'd', { n: 50 })).toBe('medium');
    expect(await outputOf(withDefault, 'd', { n: 5 })).toBe('small');
  });
});

describe('what an evaluation reports (Zeebe: evaluated inputs and matched rules)', () => {
  test('each input with its value, each matched rule with its 1-based index and its outputs', async () => {
    const result = await evaluate(overlapping('COLLECT', ['"a"', '"b"', '"c"']), 'd', { n: 15 });
    expect(result.evaluated).toEqual([
      {
        decisionId: 'd',
        decisionName: 'd',
        decisionType: 'DECISION_TABLE',
        inputs: [{ inputId: 'd-in1', inputName: 'In 1', value: 15 }],
        matchedRules: [
          { ruleId: 'r2', ruleIndex: 2, evaluatedOutputs: [{ outputId: 'd-out1', outputName: 'result', value: 'b' }] },
          { ruleId: 'r3', ruleIndex: 3, evaluatedOutputs: [{ outputId: 'd-out1', outputName: 'result', value: 'c' }] },
        ],
        output: ['b', 'c'],
      },
    ]);
  });
});
