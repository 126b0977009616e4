// Conformance: escalation events. Rules from Zeebe's docs ("Escalation events": throw
// and end events, boundary events and event sub-processes catching by code or all,
// interrupting or not; an escalation nothing catches is no incident).
import { describe, expect, test } from '@jest/globals';
import { complete } from '../../../orchestrator/engine.js';
import { bpmn, conformanceSuite, deploy, engineLabel, flow, task, waitForEnd } from '../support.js';
import { waitFor } from '../../support/wait.js';

const suite = conformanceSuite();
const workers = suite.workers;

const escalation = '<bpmn:escalation id="late" escalationCode="LATE"/><bpmn:escalation id="other" escalationCode="OTHER"/>';

/** A sub-process throwing escalation `ref` from an intermediate throw event, then doing `inner-after`; a boundary on it. */
const phase = (id: string, o: { ref: string; interrupting: boolean; catchRef?: string }) =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/>
     <bpmn:subProcess id="phase"><bpmn:startEvent id="ps"/>
       <bpmn:intermediateThrowEvent id="raise"><bpmn:escalationEventDefinition escalationRef="${o.ref}"/></bpmn:intermediateThrowEvent>
       ${task('inner-after', `${id}-inner-after`)}<bpmn:endEvent id="pe"/>
       ${flow('p0', 'ps', 'raise')}${flow('p1', 'raise', 'inner-after')}${flow('p2', 'inner-after', 'pe')}
     </bpmn:subProcess>
     <bpmn:boundaryEvent id="caught" attachedToRef="phase" cancelActivity="${o.interrupting}"><bpmn:escalationEventDefinition${o.catchRef ? ` escalationRef="${o.catchRef}"` : ''}/></bpmn:boundaryEvent>
     ${task('handle', `${id}-handle`)}<bpmn:endEvent id="he"/><bpmn:endEvent id="e"/>
     ${flow('f0', 's', 'phase')}${flow('f1', 'phase', 'e')}${flow('f2', 'caught', 'handle')}${flow('f3', 'handle', 'he')}`,
    escalation,
  );

describe(`escalation events (${engineLabel})`, () => {
  test('an interrupting escalation boundary event catches the escalation thrown inside its sub-process and ends it', async () => {
    await deploy(suite.h.engine, phase('esc-int', { ref: 'late', interrupting: true, catchRef: 'late' }));
    const ran: string[] = [];
    workers.add('esc-int-inner-after', async () => (ran.push('inner-after'), complete()));
    workers.add('esc-int-handle', async () => (ran.push('handle'), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esc-int' });
    await waitForEnd(suite.h, processInstanceKey);
    expect(ran).toEqual(['handle']);
    expect(await suite.h.probe.terminatedElements(processInstanceKey)).toEqual(['phase']);
  });

  test('a non-interrupting escalation boundary event lets the thrower go on beside the handler', async () => {
    await deploy(suite.h.engine, phase('esc-non', { ref: 'late', interrupting: false }));
    const ran: string[] = [];
    workers.add('esc-non-inner-after', async () => (ran.push('inner-after'), complete()));
    workers.add('esc-non-handle', async () => (ran.push('handle'), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esc-non' });
    await waitForEnd(suite.h, processInstanceKey);
    expect(ran.sort()).toEqual(['handle', 'inner-after']);
    expect(await suite.h.probe.completedElements(processInstanceKey)).toContain('phase');
  });

  test('a boundary event for another escalation code does not catch; an uncaught escalation is no incident and the flow goes on', async () => {
    await deploy(suite.h.engine, phase('esc-miss', { ref: 'late', interrupting: true, catchRef: 'other' }));
    const ran: string[] = [];
    workers.add('esc-miss-inner-after', async () => (ran.push('inner-after'), complete()));
    workers.add('esc-miss-handle', async () => (ran.push('handle'), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esc-miss' });
    await waitForEnd(suite.h, processInstanceKey);
    expect(ran).toEqual(['inner-after']);
    expect(await suite.h.probe.incidents(processInstanceKey)).toEqual([]);
  });

  test('an escalation end event is caught by a non-interrupting escalation event sub-process of the process', async () => {
    await deploy(
      suite.h.engine,
      bpmn(
        'esc-esp',
        `<bpmn:startEvent id="s"/>${task('work', 'esc-esp-work')}<bpmn:endEvent id="e"><bpmn:escalationEventDefinition escalationRef="late"/></bpmn:endEvent>
         ${flow('f0', 's', 'work')}${flow('f1', 'work', 'e')}
         <bpmn:subProcess id="notify" triggeredByEvent="true"><bpmn:startEvent id="ns" isInterrupting="false"><bpmn:escalationEventDefinition escalationRef="late"/></bpmn:startEvent>
           ${task('tell', 'esc-esp-tell')}<bpmn:endEvent id="ne"/>${flow('n0', 'ns', 'tell')}${flow('n1', 'tell', 'ne')}</bpmn:subProcess>`,
        escalation,
      ),
    );
    let told = 0;
    workers.add('esc-esp-work', async () => complete());
    workers.add('esc-esp-tell', async () => (told++, complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esc-esp' });
    await waitFor('told', async () => told === 1);
    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(end.state).toBe('COMPLETED');
    expect(await suite.h.probe.completedElements(processInstanceKey)).toContain('notify');
  });
});

describe(`escalation across a call activity (${engineLabel})`, () => {
  test('an escalation the child does not catch goes to its call activity: a non-interrupting boundary there runs, and the child goes on', async () => {
    await suite.h.engine.deploy([
      {
        name: 'esc-child.bpmn',
        xml: bpmn(
          'esc-child',
          `<bpmn:startEvent id="cs"/><bpmn:intermediateThrowEvent id="raise"><bpmn:escalationEventDefinition escalationRef="late"/></bpmn:intermediateThrowEvent>
           ${task('child-work', 'esc-child-work')}<bpmn:endEvent id="ce"/>${flow('c0', 'cs', 'raise')}${flow('c1', 'raise', 'child-work')}${flow('c2', 'child-work', 'ce')}`,
          escalation,
        ),
      },
      {
        name: 'esc-parent.bpmn',
        xml: bpmn(
          'esc-parent',
          `<bpmn:startEvent id="s"/><bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="esc-child"/></bpmn:extensionElements></bpmn:callActivity>
           <bpmn:boundaryEvent id="told" attachedToRef="call" cancelActivity="false"><bpmn:escalationEventDefinition escalationRef="late"/></bpmn:boundaryEvent>
           ${task('notify', 'esc-parent-notify')}<bpmn:endEvent id="ne"/><bpmn:endEvent id="e"/>
           ${flow('f0', 's', 'call')}${flow('f1', 'call', 'e')}${flow('f2', 'told', 'notify')}${flow('f3', 'notify', 'ne')}`,
          escalation,
        ),
      },
    ]);
    const ran: string[] = [];
    workers.add('esc-child-work', async () => (ran.push('child-work'), complete()));
    workers.add('esc-parent-notify', async () => (ran.push('notify'), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esc-parent' });
    await waitForEnd(suite.h, processInstanceKey);
    expect(ran.sort()).toEqual(['child-work', 'notify']);
    expect(await suite.h.probe.completedElements(processInstanceKey)).toEqual(expect.arrayContaining(['told', 'call', 'e']));
  });

  test('an interrupting escalation boundary on the call activity terminates the child instance', async () => {
    await suite.h.engine.deploy([
      {
        name: 'esc-child2.bpmn',
        xml: bpmn(
          'esc-child2',
          `<bpmn:startEvent id="cs"/><bpmn:intermediateThrowEvent id="raise"><bpmn:escalationEventDefinition escalationRef="late"/></bpmn:intermediateThrowEvent>
           ${task('child-work', 'esc-child2-work')}<bpmn:endEvent id="ce"/>${flow('c0', 'cs', 'raise')}${flow('c1', 'raise', 'child-work')}${flow('c2', 'child-work', 'ce')}`,
          escalation,
        ),
      },
      {
        name: 'esc-parent2.bpmn',
        xml: bpmn(
          'esc-parent2',
          `<bpmn:startEvent id="s"/><bpmn:callActivity id="call"><bpmn:extensionElements><zeebe:calledElement processId="esc-child2"/></bpmn:extensionElements></bpmn:callActivity>
           <bpmn:boundaryEvent id="stop" attachedToRef="call"><bpmn:escalationEventDefinition escalationRef="late"/></bpmn:boundaryEvent>
           <bpmn:endEvent id="stopped"/><bpmn:endEvent id="e"/>${flow('f0', 's', 'call')}${flow('f1', 'call', 'e')}${flow('f2', 'stop', 'stopped')}`,
          escalation,
        ),
      },
    ]);
    workers.add('esc-child2-work', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'esc-parent2' });
    await waitForEnd(suite.h, processInstanceKey);
    expect(await suite.h.probe.completedElements(processInstanceKey)).toEqual(['s', 'stop', 'stopped']);
    const [child] = await suite.h.probe.childInstances(processInstanceKey);
    expect(child).toBeDefined();
    expect((await waitForEnd(suite.h, child!.key)).state).toBe('TERMINATED');
    expect(await suite.h.probe.openJobs(child!.key)).toBe(0);
  });
});
