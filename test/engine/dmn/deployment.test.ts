// Deploying DMN files on the embedded engine, and what is recorded of an evaluation: on
// PGlite and on PostgreSQL (TEST_DATABASE_URL). Versioning as Zeebe's: a DMN file is a
// version of its decision requirements graph (DRG); a changed file makes a new version of
// the DRG and of every decision in it, an unchanged one none.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Definitions } from '../../../orchestrator/embedded/definitions.js';
import { DecisionEvaluationError, evaluateDecision } from '../../../orchestrator/embedded/dmn/evaluate.js';
import { evaluationRecords } from '../../../orchestrator/embedded/dmn/records.js';
import { KeyAllocator } from '../../../orchestrator/embedded/keys.js';
import { EngineOperations } from '../../../orchestrator/embedded/operations.js';
import { insertDecisionEvaluations } from '../../../orchestrator/embedded/store/decisions.js';
import { TransactionRunner } from '../../../orchestrator/embedded/transactions.js';
import type { Engine } from '../../../orchestrator/engine.js';
import { bpmn, engineLabel, flow, startEngine, type EngineHarness } from '../support.js';
import { dmn, literal, table } from './support.js';

let h: EngineHarness;
/** The engine through the port, whose deploy result carries the decisions. */
let engine: Engine;
/** A second reader of the same database: what the interpreter sees through Definitions.decision. */
let definitions: Definitions;
let transactions: TransactionRunner;
const keys = new KeyAllocator();

beforeAll(async () => {
  h = await startEngine();
  engine = h.engine;
  transactions = new TransactionRunner(h.db.sql);
  definitions = new Definitions(transactions, keys);
});
afterAll(async () => {
  await h?.close();
});

const season = (expression = 'if month >= 6 and month <= 8 then "summer" else "winter"') => literal('season', expression, { name: 'Season' });
const dish = table('dish', {
  name: 'Dish',
  requires: ['season'],
  inputs: ['season'],
  outputs: ['dish'],
  rules: [
    [['"summer"'], ['"salad"']],
    [['"winter"'], ['"stew"']],
  ],
});
const dishes = (seasonExpression?: string) => ({ name: 'dishes.dmn', xml: dmn('dishes', season(seasonExpression) + dish, 'Dishes') });
const latest = (decisionId: string) => transactions.run((tx) => definitions.decision(tx, decisionId));

describe(`deploying DMN files (${engineLabel})`, () => {
  test('a DMN-only deployment deploys every decision of the file as version 1 (Zeebe: the decisions listed apart from the processes)', async () => {
    const deployed = await engine.deploy([dishes()]);
    expect([...deployed]).toEqual([]);
    expect(deployed.decisions).toEqual([
      expect.objectContaining({
        decisionId: 'season',
        decisionName: 'Season',
        version: 1,
        decisionRequirementsId: 'dishes',
        resourceName: 'dishes.dmn',
        isNew: true,
      }),
      expect.objectContaining({
        decisionId: 'dish',
        decisionName: 'Dish',
        version: 1,
        decisionRequirementsId: 'dishes',
        resourceName: 'dishes.dmn',
        isNew: true,
      }),
    ]);
    const [a, b] = deployed.decisions ?? [];
    expect(a?.decisionRequirementsKey).toBe(b?.decisionRequirementsKey);
    expect(new Set([a?.decisionDefinitionKey, b?.decisionDefinitionKey, a?.decisionRequirementsKey]).size).toBe(3);
  });

  test('redeploying an unchanged DMN file makes no new version: same versions and keys, not new (Zeebe: resource checksum)', async () => {
    const first = await engine.deploy([dishes()]);
    const again = await engine.deploy([dishes()]);
    expect(again.decisions).toEqual(first.decisions?.map((d) => ({ ...d, isNew: false })));
    expect(again.decisions?.map((d) => d.version)).toEqual([1, 1]);
  });

  test('a changed file makes a new version of its DRG and of every decision in it; the latest version is the one evaluated', async () => {
    const before = await latest('dish');
    const changed = await engine.deploy([dishes('"summer"')]);
    expect(changed.decisions?.map((d) => [d.decisionId, d.version, d.isNew])).toEqual([
      ['season', 2, true],
      ['dish', 2, true],
    ]);
    const now = await latest('dish');
    expect(now?.version).toBe(2);
    expect(now?.key).not.toBe(before?.key);
    expect(now?.decisionRequirementsKey).not.toBe(before?.decisionRequirementsKey);
    expect(evaluateDecision(now!.drg, 'dish', { month: 1 }).output).toBe('salad');
  });

  test('BPMN and DMN files deploy in one call; a bad file of either kind deploys nothing (Zeebe: a deployment is all or nothing)', async () => {
    const process = { name: 'p.bpmn', xml: bpmn('dmn-p', `<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>${flow('f', 's', 'e')}`) };
    const badDmn = { name: 'bad.dmn', xml: dmn('bad', table('bad-d', { hitPolicy: 'LAST', inputs: ['x'], outputs: ['o'], rules: [[['-'], ['1']]] })) };
    await expect(engine.deploy([process, badDmn])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining("bad-d-table: decision 'bad-d': unknown hit policy 'LAST'"),
    });
    const badBpmn = { name: 'q.bpmn', xml: bpmn('dmn-q', '<bpmn:startEvent id="s"/><bpmn:userTask id="m"/>') };
    const goodDmn = { name: 'good.dmn', xml: dmn('good', literal('good-d', '1')) };
    await expect(engine.deploy([badBpmn, goodDmn])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(engine.createProcessInstance({ bpmnProcessId: 'dmn-p' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await latest('bad-d')).toBeUndefined();
    expect(await latest('good-d')).toBeUndefined();

    const both = await engine.deploy([process, goodDmn]);
    expect(both.map((p) => p.bpmnProcessId)).toEqual(['dmn-p']);
    expect(both.decisions?.map((d) => d.decisionId)).toEqual(['good-d']);
  });

  test('one decision id in two DMN files of a deployment is refused, naming both files (Zeebe: decision ids unique per deployment)', async () => {
    const one = { name: 'one.dmn', xml: dmn('one', literal('same', '1')) };
    const two = { name: 'two.dmn', xml: dmn('two', literal('same', '2')) };
    await expect(engine.deploy([one, two])).rejects.toThrow("The decision id 'same' is in both one.dmn and two.dmn");
    expect(await latest('same')).toBeUndefined();
  });
});

describe(`Definitions.decision: the latest deployed version (${engineLabel})`, () => {
  test('gives the decision parsed and ready to evaluate, undefined for a decision never deployed', async () => {
    await engine.deploy([{ name: 'tax.dmn', xml: dmn('tax', literal('vat', 'net * 0.19')) }]);
    const vat = await latest('vat');
    expect(vat).toMatchObject({ decisionId: 'vat', version: 1 });
    expect(evaluateDecision(vat!.drg, 'vat', { net: 100 }).output).toBe(19);
    expect(await latest('no-such-decision')).toBeUndefined();
  });

  test('finds a version deployed after an earlier lookup; the parsed file is cached by key (looked up again: the same parse)', async () => {
    expect((await latest('vat'))?.version).toBe(1);
    await engine.deploy([{ name: 'tax.dmn', xml: dmn('tax', literal('vat', 'net * 0.2')) }]);
    const first = await latest('vat');
    const second = await latest('vat');
    expect(first?.version).toBe(2);
    expect(evaluateDecision(first!.drg, 'vat', { net: 100 }).output).toBe(20);
    expect(second?.drg).toBe(first?.drg);
  });
});

describe(`decision evaluation records (${engineLabel})`, () => {
  const at = { processInstanceKey: '2251799813700001', elementInstanceKey: '2251799813700002', elementId: 'choose-dish' };
  const record = (rows: ReturnType<typeof evaluationRecords>) =>
    transactions.run(async (tx) => insertDecisionEvaluations(tx, await Promise.all(rows.map(async (r) => ({ ...r, key: await keys.take(tx) })))));

  test("one row per evaluated decision, required ones first, each under its own decision's key and version; read back oldest first (Operate)", async () => {
    const deployed = (await latest('dish'))!;
    await record(evaluationRecords(deployed, evaluateDecision(deployed.drg, 'dish', { month: 7 }), at));
    const rows = await new EngineOperations(h.db.sql).decisionEvaluations(at.processInstanceKey);
    expect(rows).toEqual([
      expect.objectContaining({
        elementId: 'choose-dish',
        elementInstanceKey: at.elementInstanceKey,
        decisionId: 'season',
        decisionKey: deployed.drgVersions.get('season')?.key,
        decisionVersion: deployed.drgVersions.get('season')?.version,
        decisionType: 'LITERAL_EXPRESSION',
        output: 'summer',
        failure: null,
      }),
      expect.objectContaining({
        decisionId: 'dish',
        decisionKey: deployed.key,
        decisionVersion: deployed.version,
        decisionType: 'DECISION_TABLE',
        inputs: [{ inputId: 'dish-in1', inputName: 'In 1', value: 'summer' }],
        matchedRules: [{ ruleId: 'r1', ruleIndex: 1, evaluatedOutputs: [{ outputId: 'dish-out1', outputName: 'dish', value: 'salad' }] }],
        output: 'salad',
        failure: null,
      }),
    ]);
    expect(rows[0]?.decisionKey).not.toBe(rows[1]?.decisionKey);
  });

  test('a failed evaluation records the failure on the decision that failed, with what it evaluated, and no output', async () => {
    await engine.deploy([
      {
        name: 'strict.dmn',
        xml: dmn(
          'strict-rules',
          table('strict', {
            inputs: ['n'],
            outputs: ['o'],
            rules: [
              [['< 10'], ['1']],
              [['< 20'], ['2']],
            ],
          }),
        ),
      },
    ]);
    const deployed = (await latest('strict'))!;
    let failure: DecisionEvaluationError | undefined;
    try {
      evaluateDecision(deployed.drg, 'strict', { n: 5 });
    } catch (err) {
      if (err instanceof DecisionEvaluationError) failure = err;
    }
    const where = { ...at, processInstanceKey: '2251799813700010' };
    await record(evaluationRecords(deployed, failure!, where));
    const [row] = await new EngineOperations(h.db.sql).decisionEvaluations(where.processInstanceKey);
    expect(row).toMatchObject({
      decisionId: 'strict',
      failure: "Expected to evaluate decision 'strict', but more than one rule matched (UNIQUE): 'r1', 'r2'",
      output: null,
      matchedRules: [{ ruleId: 'r1' }, { ruleId: 'r2' }],
    });
  });
});
