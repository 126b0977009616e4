// Starting process instances: requests made together start in one transaction (group
// commit), each at the latest deployed version or the one asked for.
import { EngineError, type Variables } from '../engine.js';
import { Batcher, type Pending } from './batcher.js';
import type { Definitions } from './definitions.js';
import type { InstanceEvents, Started } from './instance-events.js';
import type { InstanceState } from './state.js';
import type { TransactionRunner } from './transactions.js';

export type StartCommand = { bpmnProcessId: string; version?: number; variables: Variables };

export class Starts {
  private readonly starts: Batcher<StartCommand, Started>;

  constructor(private readonly o: { maxConcurrent: number; definitions: Definitions; transactions: TransactionRunner; instances: InstanceEvents }) {
    this.starts = new Batcher<StartCommand, Started>((batch) => this.startBatch(batch), { maxBatch: 200, maxConcurrent: o.maxConcurrent });
  }

  start(command: StartCommand): Promise<Started> {
    return this.starts.submit(command);
  }

  /** Starts a batch of instances in one transaction. */
  private async startBatch(batch: Pending<StartCommand, Started>[]): Promise<void> {
    const outcomes = new Map<Pending<StartCommand, Started>, { ok: Started } | { err: unknown }>();
    const { definitions, instances } = this.o;
    await this.o.transactions.event(async (tx) => {
      outcomes.clear();
      const byId = await definitions.latestKeys(tx, [...new Set(batch.map((p) => p.command.bpmnProcessId))]);
      const states: InstanceState[] = [];
      for (const p of batch) {
        const { bpmnProcessId, version, variables } = p.command;
        let defKey = byId.get(bpmnProcessId);
        if (version !== undefined) defKey = await definitions.keyOf(tx, bpmnProcessId, version);
        if (!defKey) {
          outcomes.set(p, { err: new EngineError('NOT_FOUND', `no process with id ${bpmnProcessId}${version ? ` and version ${version}` : ''} is deployed`) });
          continue;
        }
        const def = await definitions.get(tx, defKey);
        if (def.model.root.startEvents.length === 0) {
          outcomes.set(p, {
            err: new EngineError(
              'INVALID_ARGUMENT',
              `process ${bpmnProcessId} has no none start event: it is started by its message, timer or signal start events`,
            ),
          });
          continue;
        }
        const { state, started } = await instances.newInstance(tx, def, variables);
        states.push(state);
        outcomes.set(p, { ok: started });
      }
      await instances.save(tx, states);
    });
    for (const [p, o] of outcomes) {
      if ('ok' in o) p.resolve(o.ok);
      else p.reject(o.err);
    }
  }
}
