// Job streaming (Zeebe 8.4+ pushes jobs to connected workers): a job created for a type
// that a worker of this process has room for is activated for it in the same transaction
// and handed over after commit, with no activation round trip.
import type { SqlSession } from '../../infra/database.js';
import type { Job } from '../engine.js';
import type { Interpreter } from './interpreter.js';
import type { EmbeddedJobWorker } from './job-worker.js';
import type { InstanceState } from './state.js';
import type { TransactionRunner } from './transactions.js';

type Push = { worker: EmbeddedJobWorker; job: Job };

export class JobStreaming {
  /** The workers of this process, and per task type in round-robin order. */
  private readonly workers = new Set<EmbeddedJobWorker>();
  private readonly byType = new Map<string, EmbeddedJobWorker[]>();
  /** Jobs promised to workers, per event attempt. */
  private readonly pending = new WeakMap<SqlSession, Push[]>();

  constructor(private readonly transactions: TransactionRunner) {}

  add(worker: EmbeddedJobWorker): void {
    this.workers.add(worker);
    const sameType = this.byType.get(worker.taskType) ?? [];
    sameType.push(worker);
    this.byType.set(worker.taskType, sameType);
    worker.onClose(() => {
      this.workers.delete(worker);
      const list = this.byType.get(worker.taskType) ?? [];
      list.splice(list.indexOf(worker), 1);
    });
  }

  /** Activates the instance's new jobs for local workers with room, in the event transaction `tx`. */
  pushJobs(tx: SqlSession, state: InstanceState, it: Interpreter): void {
    for (const j of state.jobs) {
      if ((j.state ?? 'ACTIVATABLE') !== 'ACTIVATABLE') continue;
      const workers = this.byType.get(j.type);
      const worker = workers?.find((w) => w.offer());
      if (!worker) continue;
      // Round robin between workers of one type.
      workers!.push(workers!.splice(workers!.indexOf(worker), 1)[0]!);
      j.state = 'ACTIVATED';
      j.worker = worker.workerName;
      j.timeoutMs = worker.lockMs;
      this.pendingOf(tx).push({
        worker,
        job: {
          key: j.key,
          type: j.type,
          processInstanceKey: state.instance.key,
          bpmnProcessId: state.instance.bpmnProcessId,
          processDefinitionKey: state.instance.definitionKey,
          elementId: j.elementId,
          elementInstanceKey: j.elementInstanceKey,
          customHeaders: j.customHeaders,
          variables: it.variablesAt(j.elementInstanceKey),
          retries: j.retries,
          deadline: new Date(Date.now() + worker.lockMs),
          worker: worker.workerName,
        },
      });
    }
  }

  /** The attempt's pushes: handed over once it committed, withdrawn (the worker's room freed) if it was rolled back. */
  private pendingOf(tx: SqlSession): Push[] {
    let pushes = this.pending.get(tx);
    if (!pushes) {
      const list: Push[] = (pushes = []);
      this.pending.set(tx, list);
      this.transactions.afterCommitLast(tx, () => {
        for (const { worker, job } of list) worker.push(job);
      });
      this.transactions.onRollback(tx, () => {
        for (const { worker } of list) worker.withdraw();
      });
    }
    return pushes;
  }

  /** Closes every worker of this process. */
  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.close()));
  }
}
