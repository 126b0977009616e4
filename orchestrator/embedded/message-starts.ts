// Zeebe's rule for message start events: a message with a correlation key starts no new
// instance of a process while an instance of it (any version) that a message with that key
// started is active; it stays buffered, and once that instance ends the oldest such buffered
// message starts an instance of the latest version. A message without a key always starts one.
import type { SqlSession } from '../../infra/database.js';
import type { Definitions } from './definitions.js';
import type { InstanceEvents } from './instance-events.js';
import type { InstanceState } from './state.js';
import { lockCorrelationKey } from './store/messages.js';
import { deleteStartKeys, insertStartKey, isStartKeyActive, lockStartKey, takeBufferedStartMessage } from './store/start-events.js';

export class MessageStarts {
  constructor(private readonly o: { exclusive: boolean; definitions: Definitions; instances: InstanceEvents }) {}

  /** Whether a message with this correlation key may start an instance of the process now (in `tx`, which then holds the key). */
  async mayStart(tx: SqlSession, bpmnProcessId: string, correlationKey: string): Promise<boolean> {
    if (correlationKey === '') return true;
    // PGlite runs one transaction at a time, so it needs no lock.
    if (!this.o.exclusive) await lockStartKey(tx, bpmnProcessId, correlationKey);
    return !(await isStartKeyActive(tx, bpmnProcessId, correlationKey));
  }

  /** A message with this correlation key started this instance: the key is taken until the instance ends. */
  async started(tx: SqlSession, state: InstanceState, correlationKey: string): Promise<void> {
    if (correlationKey === '') return;
    await insertStartKey(tx, state.instance.key, state.instance.bpmnProcessId, correlationKey);
  }

  /** These instances ended (in `tx`): their keys are free, and a message buffered for one of them starts the next instance. */
  async ended(tx: SqlSession, states: InstanceState[]): Promise<void> {
    const freed = await deleteStartKeys(
      tx,
      states.map((s) => s.instance.key),
    );
    for (const { bpmn_process_id: bpmnProcessId, correlation_key: correlationKey } of freed) {
      const latest = (await this.o.definitions.latestKeys(tx, [bpmnProcessId])).get(bpmnProcessId);
      if (!latest) continue;
      const def = await this.o.definitions.get(tx, latest);
      const starts = def.model.root.messageStarts.map((id) => ({ id, name: def.model.nodes.get(id)?.message?.name ?? '' }));
      if (starts.length === 0) continue;
      const names = [...new Set(starts.map((s) => s.name))].sort();
      // The locks a publish takes, in the same order (message, then process), so that neither misses the other.
      if (!this.o.exclusive) {
        for (const name of names) await lockCorrelationKey(tx, name, correlationKey);
        await lockStartKey(tx, bpmnProcessId, correlationKey);
      }
      const message = await takeBufferedStartMessage(tx, names, correlationKey, bpmnProcessId);
      if (!message) continue;
      const { state } = await this.o.instances.newInstance(tx, def, message.variables, starts.find((s) => s.name === message.name)?.id);
      await this.started(tx, state, correlationKey);
      await this.o.instances.save(tx, [state]);
    }
  }
}
