// Decisions through the Camunda 8 adapter's deploy (POST /v2/deployments): the DMN file is
// sent like any resource, and the decisions of Zeebe's answer come back beside the
// processes, as the embedded engine gives them. The SDK client is faked
// (test/zeebe/fake-api.ts), its answers checked against Camunda 8.8's REST contract.
import { afterEach, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { ZeebeEngine } from '../../../orchestrator/zeebe/zeebe-engine.js';
import { assertContractKept, FakeZeebeApi } from '../../zeebe/fake-api.js';
import { bpmn, flow } from '../support.js';
import { dmn, literal } from './support.js';

const engines: ZeebeEngine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
  await assertContractKept();
});

function engineOn(fake: FakeZeebeApi): ZeebeEngine {
  const engine = new ZeebeEngine({ commands: fake.client }, { logger: pino({ level: 'silent' }) });
  engines.push(engine);
  return engine;
}

const decisionFile = { name: 'dishes.dmn', xml: dmn('dishes', literal('season', '"summer"', { name: 'Season' })) };
const processFile = { name: 'p.bpmn', xml: bpmn('p', `<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>${flow('f', 's', 'e')}`) };

/** Zeebe's answer to a deployment of dishes.dmn (and p.bpmn when `withProcess`). */
const answer = (withProcess: boolean) => ({
  deploymentKey: '2251799813685000',
  tenantId: '<default>',
  deployments: [
    ...(withProcess
      ? [
          {
            processDefinition: {
              processDefinitionId: 'p',
              processDefinitionVersion: 1,
              resourceName: 'p.bpmn',
              processDefinitionKey: '2251799813685001',
              tenantId: '<default>',
            },
          },
        ]
      : []),
    {
      decisionDefinition: {
        decisionDefinitionId: 'season',
        version: 3,
        name: 'Season',
        tenantId: '<default>',
        decisionRequirementsId: 'dishes',
        decisionDefinitionKey: '2251799813685011',
        decisionRequirementsKey: '2251799813685010',
      },
    },
    {
      decisionRequirements: {
        decisionRequirementsId: 'dishes',
        version: 3,
        decisionRequirementsName: 'dishes',
        tenantId: '<default>',
        resourceName: 'dishes.dmn',
        decisionRequirementsKey: '2251799813685010',
      },
    },
  ],
});

describe('deploying DMN files on Camunda 8 (Zeebe: POST /v2/deployments)', () => {
  test('a DMN-only deployment sends the file and answers its decisions, with the file they came from', async () => {
    const fake = new FakeZeebeApi().answer('createDeployment', answer(false));
    const deployed = await engineOn(fake).deploy([decisionFile]);
    const [[input]] = fake.callsOf('createDeployment') as [[{ resources: File[] }]];
    expect(input.resources.map((f) => f.name)).toEqual(['dishes.dmn']);
    expect([...deployed]).toEqual([]);
    expect(deployed.decisions).toEqual([
      {
        decisionId: 'season',
        decisionName: 'Season',
        version: 3,
        decisionDefinitionKey: '2251799813685011',
        decisionRequirementsId: 'dishes',
        decisionRequirementsKey: '2251799813685010',
        resourceName: 'dishes.dmn',
        isNew: true,
      },
    ]);
  });

  test('BPMN and DMN in one deployment: the processes as the list, the decisions beside them; the DMN file is not read as BPMN', async () => {
    const fake = new FakeZeebeApi().answer('createDeployment', answer(true));
    const deployed = await engineOn(fake).deploy([processFile, decisionFile]);
    expect(deployed.map((p) => [p.bpmnProcessId, p.version])).toEqual([['p', 1]]);
    expect(deployed.decisions?.map((d) => [d.decisionId, d.version])).toEqual([['season', 3]]);
    // Only the process ids were looked up for earlier versions.
    expect(fake.callsOf('searchProcessDefinitions').map(([q]) => (q as { filter: { processDefinitionId: string } }).filter.processDefinitionId)).toEqual(['p']);
  });
});
