// Conformance: inclusive gateways. Rules from Zeebe's docs ("Inclusive gateway":
// diverging takes every flow whose condition is true, else the default flow; converging
// (Zeebe 8.6+) waits for the incoming flows that can still be reached).
import { describe, expect, test } from '@jest/globals';
import { complete } from '../../../orchestrator/engine.js';
import { activeElements, bpmn, conformanceSuite, deploy, engineLabel, eventually, flow, task, waitForEnd, waitForIncidents } from '../support.js';
import { waitFor } from '../../support/wait.js';

const suite = conformanceSuite();
const workers = suite.workers;

/** fork → a, b, c (conditions on a and b, c the default) → join → after. */
const diamond = (id: string, withDefault = true) =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/><bpmn:inclusiveGateway id="fork"${withDefault ? ' default="fc"' : ''}/>
     ${task('a', `${id}-a`)}${task('b', `${id}-b`)}${withDefault ? task('c', `${id}-c`) : ''}
     <bpmn:inclusiveGateway id="join"/>${task('after', `${id}-after`)}<bpmn:endEvent id="e"/>
     ${flow('f0', 's', 'fork')}${flow('fa', 'fork', 'a', '=wantA')}${flow('fb', 'fork', 'b', '=wantB')}${withDefault ? flow('fc', 'fork', 'c') : ''}
     ${flow('ja', 'a', 'join')}${flow('jb', 'b', 'join')}${withDefault ? flow('jc', 'c', 'join') : ''}${flow('f1', 'join', 'after')}${flow('f2', 'after', 'e')}`,
  );

describe(`inclusive gateway (${engineLabel})`, () => {
  test('diverging: every outgoing flow whose condition is true is taken; the join waits for exactly those branches', async () => {
    await deploy(suite.h.engine, diamond('ig-both'));
    const ran: string[] = [];
    let releaseB!: () => void;
    const bGate = new Promise<void>((r) => (releaseB = r));
    workers.add('ig-both-a', async () => (ran.push('a'), complete()));
    workers.add('ig-both-b', async () => (await bGate, ran.push('b'), complete()));
    workers.add('ig-both-c', async () => (ran.push('c'), complete()));
    workers.add('ig-both-after', async () => (ran.push('after'), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ig-both', variables: { wantA: true, wantB: true } });
    await waitFor('a ran', async () => ran.includes('a'));
    await eventually('b still running, the join waiting for it', async () => (await activeElements(suite.h, processInstanceKey)).includes('after'), false);
    expect(ran).not.toContain('after');
    releaseB();
    await waitForEnd(suite.h, processInstanceKey);
    expect(ran).toEqual(['a', 'b', 'after']);
  });

  test('the join does not wait for a branch that was not taken', async () => {
    await deploy(suite.h.engine, diamond('ig-one'));
    const ran: string[] = [];
    for (const t of ['a', 'b', 'c', 'after']) workers.add(`ig-one-${t}`, async () => (ran.push(t), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ig-one', variables: { wantA: false, wantB: true } });
    await waitForEnd(suite.h, processInstanceKey);
    expect(ran).toEqual(['b', 'after']);
    expect((await suite.h.probe.completedElements(processInstanceKey)).filter((e) => e === 'join')).toHaveLength(1);
  });

  test('no condition true: the default flow is taken', async () => {
    await deploy(suite.h.engine, diamond('ig-default'));
    const ran: string[] = [];
    for (const t of ['a', 'b', 'c', 'after']) workers.add(`ig-default-${t}`, async () => (ran.push(t), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ig-default', variables: { wantA: false, wantB: false } });
    await waitForEnd(suite.h, processInstanceKey);
    expect(ran).toEqual(['c', 'after']);
  });

  test('no condition true and no default flow raises an incident on the gateway', async () => {
    await deploy(suite.h.engine, diamond('ig-stuck', false));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ig-stuck', variables: { wantA: false, wantB: false } });
    const [incident] = await waitForIncidents(suite.h, processInstanceKey);
    expect(incident).toMatchObject({ error_type: 'CONDITION_ERROR', element_id: 'fork' });
  });

  test('the join fires once the branch it waited for can no longer reach it (that branch ended elsewhere)', async () => {
    // b may leave to an end event instead of the join: once it did, the join goes on with a alone.
    await deploy(
      suite.h.engine,
      bpmn(
        'ig-reach',
        `<bpmn:startEvent id="s"/><bpmn:inclusiveGateway id="fork"/>${task('a', 'ig-reach-a')}${task('b', 'ig-reach-b')}
         <bpmn:exclusiveGateway id="b-route" default="to-join"/><bpmn:endEvent id="b-elsewhere"/>
         <bpmn:inclusiveGateway id="join"/><bpmn:endEvent id="e"/>
         ${flow('f0', 's', 'fork')}${flow('fa', 'fork', 'a', '=true')}${flow('fb', 'fork', 'b', '=true')}
         ${flow('ja', 'a', 'join')}${flow('br', 'b', 'b-route')}${flow('away', 'b-route', 'b-elsewhere', '=leave')}${flow('to-join', 'b-route', 'join')}
         ${flow('f1', 'join', 'e')}`,
      ),
    );
    let releaseB!: () => void;
    const bGate = new Promise<void>((r) => (releaseB = r));
    workers.add('ig-reach-a', async () => complete());
    workers.add('ig-reach-b', async () => (await bGate, complete({ leave: true })));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'ig-reach' });
    await waitFor('a done', async () => (await suite.h.probe.completedElements(processInstanceKey)).includes('a'));
    expect((await suite.h.probe.instance(processInstanceKey))?.state).toBe('ACTIVE');
    releaseB();
    await waitForEnd(suite.h, processInstanceKey);
    const done = await suite.h.probe.completedElements(processInstanceKey);
    expect(done).toContain('b-elsewhere');
    expect(done.filter((e) => e === 'join')).toHaveLength(1);
  });
});
