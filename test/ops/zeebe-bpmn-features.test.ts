// The same ops facts on Camunda 8 (issue 15, item 9), through its search API with the SDK
// client faked (test/zeebe/fake-api.ts): every request and scripted answer is checked
// against Camunda 8.8's REST contract. An instance's decisions as the ops API serves them
// (what Operate shows: inputs, matched rules, output or failure), and a multi-instance
// body or an event sub-process, which hold steps, are not steps themselves.
import { afterEach, describe, expect, test } from '@jest/globals';
import { ZeebeDecisions } from '../../orchestrator/zeebe/decision-instances.js';
import { ZeebeProcessInspector } from '../../orchestrator/zeebe/process-inspector.js';
import {
  assertContractKept,
  FakeZeebeApi,
  httpError,
  restDecisionInstance,
  restElementInstance,
  restProcessInstance,
  searchResult,
} from '../zeebe/fake-api.js';

const PIK = '2251799813685250';

afterEach(async () => {
  await assertContractKept();
});

describe('decisions of an instance on Camunda 8 (POST /v2/decision-instances/search, GET /v2/decision-instances/{key})', () => {
  test('each evaluation with its decision, version, element, inputs, matched rules and output; a failed one with its failure, oldest first', async () => {
    const failed = {
      decisionEvaluationInstanceKey: '2251799813685271',
      decisionEvaluationKey: '2251799813685270',
      state: 'FAILED',
      evaluationDate: '2026-12-01T10:00:05.000Z',
      evaluationFailure: "Expected to evaluate decision 'shipment-route', but more than one rule matched (UNIQUE): 'r2', 'r3'",
      result: '',
      elementInstanceKey: '2251799813685296',
    };
    const fake = new FakeZeebeApi()
      .answer('getProcessInstance', restProcessInstance({ processInstanceKey: PIK }))
      .answer('searchDecisionInstances', searchResult([restDecisionInstance({}, false), restDecisionInstance(failed, false)]))
      .answer(
        'searchElementInstances',
        searchResult([
          restElementInstance({ elementInstanceKey: '2251799813685295', elementId: 'RouteShipment', type: 'BUSINESS_RULE_TASK' }),
          restElementInstance({ elementInstanceKey: '2251799813685296', elementId: 'RouteShipment', type: 'BUSINESS_RULE_TASK' }),
        ]),
      )
      .answer('getDecisionInstance', restDecisionInstance(), restDecisionInstance({ ...failed, matchedRules: [] }));
    const decisions = await new ZeebeDecisions(fake.client).decisionsOf(PIK);
    expect(decisions).toEqual([
      {
        key: '2251799813685263',
        elementId: 'RouteShipment',
        elementInstanceKey: '2251799813685295',
        decisionKey: '2251799813685110',
        decisionId: 'shipment-route',
        decisionName: 'Route shipment',
        decisionVersion: 1,
        decisionType: 'DECISION_TABLE',
        inputs: [{ inputId: 'in-weight', inputName: 'Weight', value: 4 }],
        matchedRules: [{ ruleId: 'r1', ruleIndex: 1, evaluatedOutputs: [{ outputId: 'out-carrier', outputName: 'carrier', value: 'parcel' }] }],
        output: 'parcel',
        failure: null,
        evaluatedAt: '2026-12-01T10:00:02.000Z',
      },
      expect.objectContaining({ key: '2251799813685271', elementId: 'RouteShipment', matchedRules: [], output: null, failure: failed.evaluationFailure }),
    ]);
    expect(fake.callsOf('searchDecisionInstances')[0]?.[0]).toMatchObject({
      filter: { processInstanceKey: PIK },
      sort: [
        { field: 'evaluationDate', order: 'ASC' },
        { field: 'decisionEvaluationInstanceKey', order: 'ASC' },
      ],
    });
    expect(fake.callsOf('searchElementInstances')[0]?.[0]).toMatchObject({ filter: { processInstanceKey: PIK, type: 'BUSINESS_RULE_TASK' } });
    expect(fake.callsOf('getDecisionInstance').map(([input]) => input)).toEqual([
      { decisionEvaluationInstanceKey: '2251799813685263' },
      { decisionEvaluationInstanceKey: '2251799813685271' },
    ]);
  });

  test('an instance without business rule tasks has none; one the search does not know (yet) is unknown, not an error', async () => {
    const none = new FakeZeebeApi().answer('getProcessInstance', restProcessInstance({ processInstanceKey: PIK }));
    await expect(new ZeebeDecisions(none.client).decisionsOf(PIK)).resolves.toEqual([]);
    expect(none.callsOf('getDecisionInstance')).toEqual([]);
    const unknown = new FakeZeebeApi().answer('getProcessInstance', httpError(404, 'NOT_FOUND', `Process instance with key ${PIK} not found`));
    await expect(new ZeebeDecisions(unknown.client).decisionsOf(PIK)).resolves.toBeUndefined();
    await expect(new ZeebeDecisions(unknown.client).decisionsOf('not-a-key')).resolves.toBeUndefined();
    expect(unknown.callsOf('searchDecisionInstances')).toEqual([]);
  });
});

describe('where an instance is on Camunda 8 (MULTI_INSTANCE_BODY, EVENT_SUB_PROCESS)', () => {
  test("a multi-instance body and an event sub-process hold steps and are none: the items and the sub-process's task are", async () => {
    const fake = new FakeZeebeApi()
      .answer('getProcessInstance', restProcessInstance({ processInstanceKey: PIK }))
      .answer(
        'searchElementInstances',
        searchResult([
          restElementInstance({ elementId: 'PackItems', elementName: 'Pack items', type: 'MULTI_INSTANCE_BODY', elementInstanceKey: '11' }),
          restElementInstance({ elementId: 'PackItems', elementName: 'Pack items', type: 'SERVICE_TASK', elementInstanceKey: '12' }),
          restElementInstance({ elementId: 'PackItems', elementName: 'Pack items', type: 'SERVICE_TASK', elementInstanceKey: '13' }),
          restElementInstance({ elementId: 'Escalate', elementName: 'Escalate', type: 'EVENT_SUB_PROCESS', elementInstanceKey: '14' }),
          restElementInstance({ elementId: 'NotifySupervisor', elementName: 'Notify supervisor', type: 'SERVICE_TASK', elementInstanceKey: '15' }),
        ]),
      );
    const view = await new ZeebeProcessInspector(fake.client).instance(PIK);
    expect(view?.currentSteps.map((s) => `${s.elementId}:${s.type}`)).toEqual([
      'PackItems:serviceTask',
      'PackItems:serviceTask',
      'NotifySupervisor:serviceTask',
    ]);
  });
});
