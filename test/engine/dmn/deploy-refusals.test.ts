// What a DMN file must be to deploy: anything the engine could not evaluate is refused at
// deploy as INVALID_ARGUMENT naming each element and why (as Zeebe rejects the deployment),
// never left to fail each evaluation. Pure parsing: no engine, no database.
import { describe, expect, test } from '@jest/globals';
import { parseDecisions } from '../../../orchestrator/embedded/dmn/parse.js';
import { dmn, literal, table } from './support.js';

/** The refusal of a file with these decisions: its problems as "elementId: reason" lines. */
async function refusal(decisions: string): Promise<{ code: string; message: string; lines: string[] }> {
  try {
    await parseDecisions(dmn('drg', decisions), 'rules.dmn');
  } catch (err) {
    const e = err as { code: string; message: string; problems?: { elementId: string; reason: string }[] };
    return { code: e.code, message: e.message, lines: (e.problems ?? []).map((p) => `${p.elementId}: ${p.reason}`) };
  }
  throw new Error('the file was accepted');
}

const simple = (o: Partial<Parameters<typeof table>[1]> = {}) => table('d', { inputs: ['x'], outputs: ['out'], rules: [[['> 1'], ['"a"']]], ...o });

describe('DMN files refused at deploy, naming the element', () => {
  test('a well-formed decision table and literal expression deploy (control)', async () => {
    const drg = await parseDecisions(dmn('drg', simple() + literal('l', '1 + 1')));
    expect([...drg.decisions.keys()]).toEqual(['d', 'l']);
    expect(drg.id).toBe('drg');
  });

  test('a decision without a decision table or literal expression is refused (Zeebe supports only these two here)', async () => {
    const r = await refusal('<decision id="empty" name="Empty"/><decision id="ctx" name="Ctx"><context id="c1"/></decision>');
    expect(r.code).toBe('INVALID_ARGUMENT');
    expect(r.message).toContain('rules.dmn');
    expect(r.lines).toEqual([
      "empty: decision 'empty' needs a decision table or a literal expression: it has none",
      "ctx: decision 'ctx' needs a decision table or a literal expression: it has a Context, which is not supported",
    ]);
  });

  test('an unknown hit policy or aggregation is refused, naming the table (DMN 1.3 hit policies only)', async () => {
    expect((await refusal(simple({ hitPolicy: 'LAST' }))).lines).toEqual([
      "d-table: decision 'd': unknown hit policy 'LAST' (one of UNIQUE, FIRST, PRIORITY, ANY, COLLECT, RULE ORDER, OUTPUT ORDER)",
    ]);
    expect((await refusal(simple({ hitPolicy: 'COLLECT', aggregation: 'AVG' }))).lines).toEqual([
      "d-table: decision 'd': unknown aggregation 'AVG' (one of SUM, MIN, MAX, COUNT)",
    ]);
  });

  test('an input entry whose FEEL unary tests do not parse is refused, naming the entry and its rule', async () => {
    expect((await refusal(simple({ rules: [[['[1..'], ['"a"']]] }))).lines).toEqual([
      "d-r1-i1: decision 'd', rule 'r1' (index 1), input entry: FEEL unary-tests '[1..' is incomplete at position 5",
    ]);
  });

  test('an input expression that does not parse, or is missing, is refused, naming it', async () => {
    expect((await refusal(simple({ inputs: ['x +'] }))).lines).toEqual([
      "d-ie1: decision 'd', input 'd-in1': FEEL expression 'x +' is incomplete at position 4",
    ]);
    expect((await refusal(simple({ inputs: [''] }))).lines).toEqual(["d-ie1: decision 'd': input 'd-in1' has no input expression"]);
  });

  test('an output entry that does not parse or is empty is refused (Zeebe: "FEEL expression: failed to parse expression \'\'")', async () => {
    expect((await refusal(simple({ rules: [[['-'], ['']]] }))).lines).toEqual([
      "d-r1-o1: decision 'd', rule 'r1' (index 1), output entry: the expression is empty",
    ]);
    expect((await refusal(simple({ rules: [[['-'], ['"a" "b"']]] }))).lines).toEqual([
      `d-r1-o1: decision 'd', rule 'r1' (index 1), output entry: FEEL expression '"a" "b"' has an unexpected '"b"' at position 5`,
    ]);
  });

  test('a literal expression that does not parse is refused, naming it', async () => {
    expect((await refusal(literal('l', '{a: }'))).lines).toEqual([
      "l-expr: decision 'l', literal expression: FEEL expression '{a: }' is incomplete at position 5",
    ]);
  });

  test('a required decision that is not in the same file is refused, naming the requirement', async () => {
    expect((await refusal(literal('l', 'other', { requires: ['other'] }))).lines).toEqual([
      "l-requires-other: decision 'l' requires decision '#other', which is not in this file",
    ]);
  });

  test('a cycle of required decisions is refused, naming every decision on it', async () => {
    const a = literal('a', 'c', { requires: ['c'] });
    const b = literal('b', 'a', { requires: ['a'] });
    const c = literal('c', 'b', { requires: ['b'] });
    expect((await refusal(a + b + c + literal('ok', '1'))).lines).toEqual([
      "a: decision 'a' is on a cycle of required decisions: a → c → b → a",
      "c: decision 'c' is on a cycle of required decisions: a → c → b → a",
      "b: decision 'b' is on a cycle of required decisions: a → c → b → a",
    ]);
  });

  test('a multi-output table needs a name per output, and COLLECT with an aggregator exactly one output (DMN-scala)', async () => {
    const unnamed = table('d', { inputs: ['x'], outputs: ['a', ''], rules: [[['-'], ['1', '2']]] });
    expect((await refusal(unnamed)).lines).toEqual(["d-out2: decision 'd': output 'Out 2' needs a name (the table has several outputs)"]);
    const summed = table('d', { hitPolicy: 'COLLECT', aggregation: 'SUM', inputs: ['x'], outputs: ['a', 'b'], rules: [[['-'], ['1', '2']]] });
    expect((await refusal(summed)).lines).toEqual(["d-table: decision 'd': COLLECT with SUM needs exactly one output (it has 2)"]);
  });

  test('a rule with more or fewer entries than the table has inputs and outputs is refused, naming the rule', async () => {
    expect((await refusal(simple({ rules: [[['-', '-'], []]] }))).lines).toEqual([
      "r1: decision 'd', rule 'r1' (index 1): has 2 input entries for 1 inputs",
      "r1: decision 'd', rule 'r1' (index 1): has 0 output entries for 1 outputs",
    ]);
  });

  test('business knowledge models are refused (not supported by the embedded engine)', async () => {
    const bkm = `<businessKnowledgeModel id="bkm" name="Bkm"/><decision id="k" name="K"><knowledgeRequirement id="kr"><requiredKnowledge href="#bkm"/></knowledgeRequirement><literalExpression id="k-expr"><text>1</text></literalExpression></decision>`;
    expect((await refusal(bkm)).lines).toEqual(["k: decision 'k': business knowledge models are not supported"]);
  });

  test('every problem of a file is listed at once', async () => {
    expect((await refusal(simple({ hitPolicy: 'LAST', rules: [[['[1..'], ['']]] }))).lines).toHaveLength(3);
  });

  test('content dmn-moddle would drop (a duplicate id) is refused rather than silently lost', async () => {
    const twice = literal('a', '1') + literal('b', '2').replace('id="b-expr"', 'id="a-expr"');
    expect((await refusal(twice)).lines).toEqual([
      'drg: not a valid DMN 1.3 file: duplicate ID <a-expr>: <literalExpression> at line 2, column 128',
      "b: decision 'b' needs a decision table or a literal expression: it has none",
    ]);
  });

  test('a file that is not DMN, a DMN 1.4/1.5 file (dmn-moddle reads 1.3) and a file without decisions are refused', async () => {
    await expect(parseDecisions('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'Not a DMN file: failed to parse document as <dmn:Definitions>',
    });
    const dmn14 = dmn('drg', literal('l', '1')).replace('https://www.omg.org/spec/DMN/20191111/MODEL/', 'https://www.omg.org/spec/DMN/20211108/MODEL/');
    await expect(parseDecisions(dmn14)).rejects.toThrow('Not a DMN 1.3 file: DMN 1.4 and 1.5 are not read; save it as DMN 1.3');
    await expect(parseDecisions(dmn('drg', '<inputData id="i" name="I"/>'), 'inputs.dmn')).rejects.toThrow('inputs.dmn has no decision');
  });
});
