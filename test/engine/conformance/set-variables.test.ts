// Conformance: setting variables from outside an instance (Zeebe 8.8: "update element
// instance variables", PUT /v2/element-instances/{key}/variables), as operators do to repair
// one. Zeebe's rule: `local` sets on the given scope only; otherwise each variable goes to the
// nearest scope from there outwards that has it, else to the process instance (docs
// "Variables" → "Variable propagation"; the API's SetVariableRequest.local).
import { describe, expect, test } from '@jest/globals';
import { complete, type Job, type Variables } from '../../../orchestrator/engine.js';
import { waitFor } from '../../support/wait.js';
import { bpmn, conformanceSuite, deploy, engineLabel, flow, task, waitForEnd } from '../support.js';

const suite = conformanceSuite();
const workers = suite.workers;

const input = (source: string, target: string) => `<zeebe:ioMapping><zeebe:input source="${source}" target="${target}"/></zeebe:ioMapping>`;
const output = (source: string, target: string) => `<zeebe:ioMapping><zeebe:output source="${source}" target="${target}"/></zeebe:ioMapping>`;

/** A sub-process with a local `attempt` around `hold` (its result mapped from `fixedHere`), then `check`. */
const repaired = (id: string) =>
  bpmn(
    id,
    `<bpmn:startEvent id="s"/>
     <bpmn:subProcess id="sub"><bpmn:extensionElements>${input('=1', 'attempt')}</bpmn:extensionElements>
       <bpmn:startEvent id="ss"/>${task('hold', `${id}-hold`, output('=fixedHere', 'fixedSeen'))}${task('check', `${id}-check`)}<bpmn:endEvent id="se"/>
       ${flow('g0', 'ss', 'hold')}${flow('g1', 'hold', 'check')}${flow('g2', 'check', 'se')}
     </bpmn:subProcess><bpmn:endEvent id="e"/>${flow('f0', 's', 'sub')}${flow('f1', 'sub', 'e')}`,
  );

/** A worker for `hold` that keeps its job until released, and the element instance key of that job. */
function heldTask(type: string): { job: Promise<Job>; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let got!: (job: Job) => void;
  const job = new Promise<Job>((r) => (got = r));
  workers.add(
    type,
    async (j) => {
      got(j);
      await released;
      return complete();
    },
    { timeout: 60_000 },
  );
  return { job, release };
}

describe(`setVariables (${engineLabel})`, () => {
  test('sets on the nearest scope that has the variable, else on the process instance; local stays on the given scope (Zeebe: variable propagation, SetVariables local)', async () => {
    await deploy(suite.h.engine, repaired('sv-scopes'));
    const hold = heldTask('sv-scopes-hold');
    let seenByCheck: Variables | undefined;
    workers.add('sv-scopes-check', async (job) => ((seenByCheck = job.variables), complete()));
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sv-scopes', variables: { orderId: 'o-1' } });
    const holdKey = (await hold.job).elementInstanceKey;

    // From the task outwards: `attempt` exists in the sub-process, `note` nowhere (so the process instance).
    await suite.h.engine.setVariables({ elementInstanceKey: holdKey, variables: { attempt: 2, note: 'fixed' } });
    // Local: on the task's own scope, seen by its output mapping and nowhere else.
    await suite.h.engine.setVariables({ elementInstanceKey: holdKey, variables: { fixedHere: 'yes' }, local: true });
    // The process instance key names the root scope.
    await suite.h.engine.setVariables({ elementInstanceKey: processInstanceKey, variables: { approved: true } });
    await waitFor('the root variables set', async () => (await suite.h.probe.instance(processInstanceKey))?.variables.approved === true);
    hold.release();

    const end = await waitForEnd(suite.h, processInstanceKey);
    expect(seenByCheck).toEqual({ orderId: 'o-1', attempt: 2, note: 'fixed', approved: true, fixedSeen: 'yes' });
    // `attempt` stayed in the sub-process and `fixedHere` on the task: neither reached the process instance.
    expect(end.variables).toEqual({ orderId: 'o-1', note: 'fixed', approved: true, fixedSeen: 'yes' });
  });

  test('an unknown key, an element instance that completed and a process instance that ended are NOT_FOUND (Zeebe: no such element instance)', async () => {
    await deploy(suite.h.engine, repaired('sv-ended'));
    const hold = heldTask('sv-ended-hold');
    workers.add('sv-ended-check', async () => complete());
    const { processInstanceKey } = await suite.h.engine.createProcessInstance({ bpmnProcessId: 'sv-ended' });
    const holdKey = (await hold.job).elementInstanceKey;
    hold.release();
    await waitForEnd(suite.h, processInstanceKey);
    for (const elementInstanceKey of ['2251799813999999', holdKey, processInstanceKey]) {
      await expect(suite.h.engine.setVariables({ elementInstanceKey, variables: { late: true } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    expect((await suite.h.probe.instance(processInstanceKey))?.variables).not.toHaveProperty('late');
  });

  test('variables that are not a JSON object are INVALID_ARGUMENT (Zeebe: variables must be a JSON object)', async () => {
    await expect(suite.h.engine.setVariables({ elementInstanceKey: '2251799813999999', variables: [1] as unknown as Variables })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
