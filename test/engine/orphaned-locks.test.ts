// After a crash, jobs the dead process had activated stay locked until their
// timeout. On PGlite no other process can hold them, so start-up offers them again
// at once; on a shared PostgreSQL that would be unsafe, and the engine refuses.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { EmbeddedEngine } from '../../orchestrator/embedded/embedded-engine.js';
import { complete } from '../../orchestrator/engine.js';
import { databaseKind, onPostgres } from '../support/database.js';
import { bpmn, deploy, flow, startEngine, task, waitForEnd, type EngineHarness } from './support.js';

let h: EngineHarness;
beforeAll(async () => {
  h = await startEngine();
});
afterAll(async () => {
  await h.close();
});

describe(`orphaned job locks (${databaseKind})`, () => {
  (onPostgres ? test.skip : test)(
    'a job locked by a process that died is offered again at once after expireOrphanedJobLocks, not after its timeout',
    async () => {
      await deploy(
        h.engine,
        bpmn('orphan', `<bpmn:startEvent id="s"/>${task('t', 'orphan-task')}<bpmn:endEvent id="e"/>${flow('f1', 's', 't')}${flow('f2', 't', 'e')}`),
      );
      // The "dead" process: its worker takes the job with a 10-minute lock and never answers (nor
      // waits for its handler when closed: otherwise Jest is held open for those 10 minutes).
      let taken!: () => void;
      const tookIt = new Promise<void>((r) => (taken = r));
      const dying = h.engine.createWorker({
        taskType: 'orphan-task',
        timeout: 600_000,
        closeGraceMs: 0,
        handler: () => (taken(), new Promise(() => undefined)),
      });
      const { processInstanceKey } = await h.engine.createProcessInstance({ bpmnProcessId: 'orphan' });
      await tookIt;
      void dying.close().catch(() => undefined);

      const restarted = new EmbeddedEngine(h.db, { logger: pino({ level: 'silent' }), jobPollIntervalMs: 50 });
      try {
        expect(await restarted.expireOrphanedJobLocks()).toBe(1);
        restarted.createWorker({ taskType: 'orphan-task', handler: async () => complete() });
        // The lock runs for 10 minutes: an instance that ends within waitForEnd's 15 s got its job
        // from the expired lock, not from the timeout. No clock reading is needed to tell.
        await waitForEnd(h, processInstanceKey);
      } finally {
        await restarted.close();
      }
    },
  );

  (onPostgres ? test : test.skip)('is refused on PostgreSQL, where another live process may hold the lock', async () => {
    await expect(h.engine.expireOrphanedJobLocks()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });
});
