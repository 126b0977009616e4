// Conformance: cron timer cycles (Zeebe 8.1+, docs "Timer events" → "Time cycle": a cron
// expression in Spring's 6-field format, repeating without a count; UTC on Camunda's images).
import { describe, expect, test } from '@jest/globals';
import { complete } from '../../../orchestrator/engine.js';
import { waitFor } from '../../support/wait.js';
import { activeElements, bpmn, completedElements, conformanceSuite, deploy, engineLabel, expectOpenTimers, flow, task, waitForEnd } from '../support.js';

const suite = conformanceSuite();
const workers = suite.workers;

/** A task with a non-interrupting cron boundary timer that sends a reminder each time it fires. */
const remindedTask = (id: string, cron: string) =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/>${task('work', `${id}-work`)}<bpmn:endEvent id="done"/>
     <bpmn:boundaryEvent id="b" attachedToRef="work" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeCycle>${cron}</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>
     ${task('remind', `${id}-remind`)}<bpmn:endEvent id="reminded"/>
     ${flow('f0', 's', 'work')}${flow('f1', 'work', 'done')}${flow('f2', 'b', 'remind')}${flow('f3', 'remind', 'reminded')}`,
  );

describe(`cron timer cycles (${engineLabel})`, () => {
  test('a non-interrupting cron boundary timer fires at each next match, again and again, while the task stays active (Zeebe: cron cycles repeat forever)', async () => {
    await deploy(suite.h.engine, remindedTask('cron-remind', '* * * * * *'));
    const remindedAt: number[] = [];
    workers.add('cron-remind-remind', async () => (remindedAt.push(Date.now()), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'cron-remind' });
    await waitFor('three reminders', async () => remindedAt.length >= 3, 15_000);
    // Once a second: three firings span at least the two seconds between three matches.
    expect(remindedAt[2]! - remindedAt[0]!).toBeGreaterThanOrEqual(1_500);
    expect(await activeElements(suite.h, processInstanceKey)).toContain('work');
    await expectOpenTimers(suite.h, processInstanceKey, 1);
    workers.add('cron-remind-work', async () => complete());
    await waitForEnd(suite.h, processInstanceKey);
    expect(await completedElements(suite.h, processInstanceKey)).toContain('done');
    // The cycle ends with its task: no timer is left to fire.
    await expectOpenTimers(suite.h, processInstanceKey, 0);
  });
});
