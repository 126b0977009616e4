// Input entries are FEEL unary tests against the input's value (DMN 1.3 §8.3.3, FEEL
// unary tests); input expressions and output entries FEEL expressions. And what happens
// when one of them cannot be evaluated: the failure names the rule or input (Zeebe).
import { describe, expect, test } from '@jest/globals';
import { failureOf, outputOf, table } from './support.js';

/** A FIRST table with one input: the first rule whose entry passes gives its index. */
const firstPassing = (input: string, entries: string[]) =>
  table('d', { hitPolicy: 'FIRST', inputs: [input], outputs: ['rule'], rules: entries.map((e, i) => [[e], [String(i + 1)]]) });

/** Whether `entry` passes for `value` (of variable `x`). */
async function passes(entry: string, value: unknown, variables: Record<string, unknown> = {}) {
  return (await outputOf(firstPassing('x', [entry]), 'd', { ...variables, x: value })) === 1;
}

describe('unary tests in input entries (FEEL)', () => {
  test('`-` and an empty entry match any value, null included (DMN: any input)', async () => {
    for (const value of [1, 'text', null, true]) {
      expect(await passes('-', value)).toBe(true);
      expect(await passes('', value)).toBe(true);
    }
  });

  test('comparisons: < <= > >= against the input value', async () => {
    expect(await passes('< 10', 9)).toBe(true);
    expect(await passes('< 10', 10)).toBe(false);
    expect(await passes('<= 10', 10)).toBe(true);
    expect(await passes('> 10', 10)).toBe(false);
    expect(await passes('>= 10', 10)).toBe(true);
  });

  test('a plain value tests equality: numbers, strings, booleans', async () => {
    expect(await passes('42', 42)).toBe(true);
    expect(await passes('42', 41)).toBe(false);
    expect(await passes('"gold"', 'gold')).toBe(true);
    expect(await passes('"gold"', 'Gold')).toBe(false);
    expect(await passes('true', true)).toBe(true);
    expect(await passes('true', false)).toBe(false);
  });

  test('ranges: [a..b] includes its ends, (a..b) and ]a..b[ exclude them', async () => {
    expect(await passes('[1..5]', 1)).toBe(true);
    expect(await passes('[1..5]', 5)).toBe(true);
    expect(await passes('[1..5]', 6)).toBe(false);
    expect(await passes('(1..5)', 1)).toBe(false);
    expect(await passes('(1..5)', 3)).toBe(true);
    expect(await passes(']1..5[', 5)).toBe(false);
  });

  test('a list of tests passes when any of them does', async () => {
    expect(await passes('"DE","AT","CH"', 'AT')).toBe(true);
    expect(await passes('"DE","AT","CH"', 'FR')).toBe(false);
    expect(await passes('< 0, > 100', 150)).toBe(true);
    expect(await passes('< 0, > 100', 50)).toBe(false);
  });

  test('not(…) negates the tests it holds', async () => {
    expect(await passes('not("DE","AT")', 'FR')).toBe(true);
    expect(await passes('not("DE","AT")', 'DE')).toBe(false);
    expect(await passes('not([1..5])', 7)).toBe(true);
  });

  test('tests may use variables and `?` (the input value) in an expression', async () => {
    expect(await passes('> limit', 120, { limit: 100 })).toBe(true);
    expect(await passes('> limit', 80, { limit: 100 })).toBe(false);
    expect(await passes('? > 3 and ? < 10', 5)).toBe(true);
    expect(await passes('starts with(?, "SKU-")', 'SKU-LAMP')).toBe(true);
  });

  test('dates compare as dates when the input expression makes one', async () => {
    const table1 = firstPassing('date(placed)', ['[date("2026-01-01")..date("2026-12-31")]', '-']);
    expect(await outputOf(table1, 'd', { placed: '2026-05-01' })).toBe(1);
    expect(await outputOf(table1, 'd', { placed: '2027-01-02' })).toBe(2);
  });

  test('null: the test `null` matches a missing value; a comparison with null is not a match (FEEL: not comparable)', async () => {
    expect(await passes('null', null)).toBe(true);
    expect(await passes('> 5', null)).toBe(false);
    // A variable the process does not have is null, as in Zeebe.
    expect(await outputOf(firstPassing('missing', ['> 5', 'null']), 'd', {})).toBe(2);
  });

  test('several inputs: a rule matches only when every one of its entries passes', async () => {
    const two = table('d', {
      inputs: ['country', 'total'],
      outputs: ['shipping'],
      rules: [
        [['"DE"', '>= 50'], ['0']],
        [['"DE"', '< 50'], ['5']],
        [['not("DE")', '-'], ['15']],
      ],
    });
    expect(await outputOf(two, 'd', { country: 'DE', total: 70 })).toBe(0);
    expect(await outputOf(two, 'd', { country: 'DE', total: 20 })).toBe(5);
    expect(await outputOf(two, 'd', { country: 'FR', total: 70 })).toBe(15);
  });
});

describe('expressions: input expressions and output entries (FEEL)', () => {
  test('an input expression computes the value the entries test; output entries are expressions over the variables', async () => {
    const priced = table('d', {
      inputs: ['sum(items.price)'],
      outputs: ['discount'],
      rules: [
        [['>= 100'], ['sum(items.price) * 0.1']],
        [['< 100'], ['0']],
      ],
    });
    expect(await outputOf(priced, 'd', { items: [{ price: 80 }, { price: 70 }] })).toBe(15);
  });

  test('a date output is given as its ISO string (as Zeebe serialises FEEL dates)', async () => {
    const due = table('d', { inputs: ['x'], outputs: ['due'], rules: [[['-'], ['date("2026-03-01") + duration("P10D")']]] });
    expect(await outputOf(due, 'd', { x: 1 })).toBe('2026-03-11');
  });
});

describe('a cell that fails to evaluate fails the decision, naming where (Zeebe: incident on the task)', () => {
  // feelin throws for a range whose bounds are not comparable: a runtime failure, not a syntax error.
  test('an input entry that fails names the rule and its 1-based index and the FEEL failure', async () => {
    const bounded = firstPassing('x', ['> 100', '[lower..5]']);
    const failure = await failureOf(bounded, 'd', { x: 3, lower: 'a' });
    expect(failure.message).toBe(
      "Expected to evaluate decision 'd', but failed to evaluate expression '[lower..5]' of rule 'r2' (index 2): unsupported range: a..5",
    );
    expect(failure.decisionId).toBe('d');
    // What was evaluated before the failure is still reported (Operate shows it).
    expect(failure.evaluated).toMatchObject([{ decisionId: 'd', inputs: [{ inputId: 'd-in1', value: 3 }], matchedRules: [], output: null }]);
  });

  test('an input expression that fails names the input', async () => {
    const failure = await failureOf(firstPassing('[1..x]', ['-']), 'd', { x: 'z' });
    expect(failure.message).toBe("Expected to evaluate decision 'd', but failed to evaluate expression '[1..x]' of input 'd-in1': unsupported range: 1..z");
  });

  test('an output entry that fails names the rule', async () => {
    const failing = table('d', { inputs: ['x'], outputs: ['out'], rules: [[['-'], ['[x..1]']]] });
    const failure = await failureOf(failing, 'd', { x: true });
    expect(failure.message).toBe(
      "Expected to evaluate decision 'd', but failed to evaluate expression '[x..1]' of rule 'r1' (index 1): unsupported range: true..1",
    );
  });
});
