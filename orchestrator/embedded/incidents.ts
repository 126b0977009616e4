// Resolving an incident: a job's is offered again (its retries were updated first), an
// element's is retried where it stopped.
import type { EventEmitter } from 'node:events';
import { EngineError } from '../engine.js';
import type { InstanceEvents } from './instance-events.js';
import { activeIncident, markIncidentResolved } from './store/incidents.js';
import { jobRetries, reofferJob } from './store/jobs.js';
import type { TransactionRunner } from './transactions.js';

export class Incidents {
  constructor(private readonly o: { transactions: TransactionRunner; instances: InstanceEvents; events: EventEmitter }) {}

  async resolve(incidentKey: string): Promise<void> {
    const wake = await this.o.transactions.event(async (tx) => {
      const inc = await activeIncident(tx, incidentKey);
      if (!inc) throw new EngineError('NOT_FOUND', `no active incident ${incidentKey}`);
      if (inc.job_key) {
        const job = await jobRetries(tx, inc.job_key);
        if (job && job.retries < 1)
          throw new EngineError('FAILED_PRECONDITION', `job ${inc.job_key} has no retries left: update its retries first, then resolve the incident`);
        await markIncidentResolved(tx, incidentKey);
        await reofferJob(tx, inc.job_key);
        return job?.type;
      }
      await markIncidentResolved(tx, incidentKey);
      await this.o.instances.onInstance(tx, inc.process_instance_key, async (it, s) => {
        const ei = s.elements.get(inc.element_instance_key);
        if (ei?.data.retry) await it.retry(ei);
      });
      return undefined;
    });
    if (wake) this.o.events.emit('jobs', wake);
  }
}
