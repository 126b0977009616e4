// Child process of crash.test.ts: an embedded engine under load, to be killed with
// SIGKILL at any moment and started again on the same database.
//
// Opens the database named by the environment (DATABASE_URL, or the PGlite data
// directory CRASH_DATA_DIR), applies migrations, deploys the crash-load process,
// runs a worker per job type and creates instances until CRASH_CREATE exist in
// total (counted in the database, so a restart creates only what is missing).
// Every handler run appends a row to crash_effects before it completes its job,
// so the test can count runs. Reports on stdout, one JSON object a line:
// {"event":"ready",...} once it works, then {"event":"status",...} every 100 ms.
// SIGTERM stops it cleanly (exit 0).
import { pino } from 'pino';
import { openDatabase, type DatabaseTarget } from '../../../infra/database.js';
import { applyMigrations } from '../../../infra/migrations.js';
import { EmbeddedEngine } from '../../../orchestrator/embedded/embedded-engine.js';
import { complete } from '../../../orchestrator/engine.js';
import { sleep } from '../../support/wait.js';

const PROCESS_ID = 'crash-load';
const MI_PROCESS_ID = 'crash-mi';
const total = Number(process.env.CRASH_CREATE ?? '0');
/** Instances of crash-mi (multi-instance body and a running event sub-process), created alongside. */
const totalMi = Number(process.env.CRASH_CREATE_MI ?? '0');
const batch = Number(process.env.CRASH_BATCH ?? '5');
const batchEveryMs = Number(process.env.CRASH_BATCH_EVERY_MS ?? '50');
/** Time a handler spends between recording its run and answering: widens the window a kill can hit. */
const handlerMs = Number(process.env.CRASH_HANDLER_MS ?? '10');

// Flow nodes list their <bpmn:incoming>/<bpmn:outgoing> flows, as Camunda Modeler writes
// them: the embedded engine reads a parallel join's incoming flows from those lists
// only (orchestrator/embedded/model.ts), and without them the join passes every token.
const FLOWS: [id: string, from: string, to: string][] = [
  ['f1', 'start', 'step-1'],
  ['f2', 'step-1', 'fork'],
  ['f3', 'fork', 'step-2b'],
  ['f4', 'fork', 'step-2c'],
  ['f5', 'step-2b', 'join'],
  ['f6', 'step-2c', 'join'],
  ['f7', 'join', 'wait'],
  ['f8', 'wait', 'step-3'],
  ['f9', 'step-3', 'end'],
];
const refs = (id: string) =>
  FLOWS.filter((f) => f[2] === id)
    .map((f) => `<bpmn:incoming>${f[0]}</bpmn:incoming>`)
    .join('') +
  FLOWS.filter((f) => f[1] === id)
    .map((f) => `<bpmn:outgoing>${f[0]}</bpmn:outgoing>`)
    .join('');
const serviceTask = (id: string, type: string) =>
  `<bpmn:serviceTask id="${id}"><bpmn:extensionElements><zeebe:taskDefinition type="${type}" retries="3"/></bpmn:extensionElements>${refs(id)}</bpmn:serviceTask>`;

const XML = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-crash-load" targetNamespace="http://order-saga.test">
  <bpmn:process id="${PROCESS_ID}" isExecutable="true">
    <bpmn:startEvent id="start">${refs('start')}</bpmn:startEvent>
    ${serviceTask('step-1', 'crash-a')}
    <bpmn:parallelGateway id="fork">${refs('fork')}</bpmn:parallelGateway>
    ${serviceTask('step-2b', 'crash-b')}
    ${serviceTask('step-2c', 'crash-c')}
    <bpmn:parallelGateway id="join">${refs('join')}</bpmn:parallelGateway>
    <bpmn:intermediateCatchEvent id="wait">${refs('wait')}<bpmn:timerEventDefinition><bpmn:timeDuration>PT0.3S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    ${serviceTask('step-3', 'crash-d')}
    <bpmn:endEvent id="end">${refs('end')}</bpmn:endEvent>
    ${FLOWS.map(([id, from, to]) => `<bpmn:sequenceFlow id="${id}" sourceRef="${from}" targetRef="${to}"/>`).join('\n    ')}
  </bpmn:process>
</bpmn:definitions>`;

// A parallel multi-instance task over three items while a non-interrupting timer event
// sub-process (due first) runs its own task, then a timer wait: a kill can land inside the
// body, between inner instances, and inside the running event sub-process.
const MI_XML = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs-crash-mi" targetNamespace="http://order-saga.test">
  <bpmn:process id="${MI_PROCESS_ID}" isExecutable="true">
    <bpmn:startEvent id="mi-start"/>
    <bpmn:serviceTask id="mi"><bpmn:extensionElements><zeebe:taskDefinition type="crash-e" retries="3"/></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=[1, 2, 3]" inputElement="item" outputCollection="done" outputElement="=item"/></bpmn:extensionElements></bpmn:multiInstanceLoopCharacteristics>
    </bpmn:serviceTask>
    <bpmn:intermediateCatchEvent id="mi-wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT0.3S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="mi-end"/>
    <bpmn:sequenceFlow id="m1" sourceRef="mi-start" targetRef="mi"/><bpmn:sequenceFlow id="m2" sourceRef="mi" targetRef="mi-wait"/><bpmn:sequenceFlow id="m3" sourceRef="mi-wait" targetRef="mi-end"/>
    <bpmn:subProcess id="esp" triggeredByEvent="true">
      <bpmn:startEvent id="esp-start" isInterrupting="false"><bpmn:timerEventDefinition><bpmn:timeDuration>PT0.1S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent>
      <bpmn:serviceTask id="esp-task"><bpmn:extensionElements><zeebe:taskDefinition type="crash-f" retries="3"/></bpmn:extensionElements></bpmn:serviceTask>
      <bpmn:endEvent id="esp-end"/>
      <bpmn:sequenceFlow id="e1" sourceRef="esp-start" targetRef="esp-task"/><bpmn:sequenceFlow id="e2" sourceRef="esp-task" targetRef="esp-end"/>
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>`;

const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...o, pid: process.pid, t: Date.now() })}\n`);

function target(): DatabaseTarget {
  if (process.env.DATABASE_URL) return { kind: 'postgres', url: process.env.DATABASE_URL, poolSize: 10 };
  const dataDir = process.env.CRASH_DATA_DIR;
  if (!dataDir) throw new Error('set DATABASE_URL or CRASH_DATA_DIR');
  return { kind: 'pglite', dataDir };
}

const db = await openDatabase(target());
await applyMigrations(db.sql);
// `pid`: which process ran the handler, to tell a re-run after a kill from one after a lock expired under load.
await db.sql.exec(`CREATE TABLE IF NOT EXISTS crash_effects (job_key text, instance_key text, element_id text, at timestamptz default now(), pid int)`);

// Errors go to stderr, where the test collects them.
const engine = new EmbeddedEngine(db, {
  logger: pino({ level: process.env.CRASH_LOG_LEVEL ?? 'warn' }, pino.destination(2)),
  jobPollIntervalMs: 100,
  timerPollIntervalMs: 100,
});
await engine.deploy([
  { name: 'crash-load.bpmn', xml: XML },
  { name: 'crash-mi.bpmn', xml: MI_XML },
]);

for (const taskType of ['crash-a', 'crash-b', 'crash-c', 'crash-d', 'crash-e', 'crash-f']) {
  engine.createWorker({
    taskType,
    timeout: 1_000,
    handler: async (job) => {
      await db.sql.query(`INSERT INTO crash_effects (job_key, instance_key, element_id, pid) VALUES ($1, $2, $3, $4)`, [
        job.key,
        job.processInstanceKey,
        job.elementId,
        process.pid,
      ]);
      if (handlerMs > 0) await sleep(Math.random() * handlerMs);
      return complete({ [job.elementId]: true });
    },
  });
}

const countInstances = async (id: string) =>
  Number((await db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM engine_process_instances WHERE bpmn_process_id = $1`, [id]))[0]?.n ?? 0);

let stopping = false;
const createdAtStart = await countInstances(PROCESS_ID);
const createdMiAtStart = await countInstances(MI_PROCESS_ID);
emit({ event: 'ready', created: createdAtStart + createdMiAtStart });

const creating = (async () => {
  let created = createdAtStart;
  let createdMi = createdMiAtStart;
  while ((created < total || createdMi < totalMi) && !stopping) {
    const n = Math.min(batch, total - created);
    const m = Math.min(1, totalMi - createdMi);
    await Promise.all([
      ...Array.from({ length: n }, () => engine.createProcessInstance({ bpmnProcessId: PROCESS_ID })),
      ...Array.from({ length: m }, () => engine.createProcessInstance({ bpmnProcessId: MI_PROCESS_ID })),
    ]);
    created += n;
    createdMi += m;
    await sleep(batchEveryMs);
  }
})();
creating.catch((err) => {
  console.error('creating instances failed', err);
  process.exit(3);
});

const report = setInterval(() => {
  void db.sql
    .query<{ created: number; active: number; completed: number; jobs: number; timers: number; subscriptions: number; incidents: number }>(
      `SELECT (SELECT count(*)::int FROM engine_process_instances WHERE bpmn_process_id = ANY($1::text[])) AS created,
              (SELECT count(*)::int FROM engine_process_instances WHERE bpmn_process_id = ANY($1::text[]) AND state = 'ACTIVE') AS active,
              (SELECT count(*)::int FROM engine_process_instances WHERE bpmn_process_id = ANY($1::text[]) AND state = 'COMPLETED') AS completed,
              (SELECT count(*)::int FROM engine_jobs) AS jobs,
              (SELECT count(*)::int FROM engine_timers) AS timers,
              (SELECT count(*)::int FROM engine_message_subscriptions) AS subscriptions,
              (SELECT count(*)::int FROM engine_incidents WHERE state = 'ACTIVE') AS incidents`,
      [[PROCESS_ID, MI_PROCESS_ID]],
    )
    .then(([row]) => emit({ event: 'status', ...row }))
    .catch((err) => console.error('status query failed', err));
}, 100);

process.once('SIGTERM', () => {
  stopping = true;
  clearInterval(report);
  void (async () => {
    await creating;
    await engine.close();
    await db.close();
    process.exit(0);
  })();
});
