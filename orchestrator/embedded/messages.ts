// Messages: publish (correlate now, buffer for the time to live), correlate (now or
// NOT_FOUND), and the buffer a subscription opening takes a waiting message from.
import type { SqlSession } from '../../infra/database.js';
import { EngineError, type Variables } from '../engine.js';
import type { Definitions } from './definitions.js';
import type { InstanceEvents } from './instance-events.js';
import type { MessageBuffer } from './interpreter.js';
import type { KeyAllocator } from './keys.js';
import type { MessageStarts } from './message-starts.js';
import { bufferMessage, isBuffered, lockCorrelationKey, takeBufferedMessage } from './store/messages.js';
import { openSubscriptions } from './store/subscriptions.js';
import type { TransactionRunner } from './transactions.js';

/**
 * Serialises a publish and a subscription opening for the same message name and
 * correlation key. Without it, under READ COMMITTED, a publish that finds no
 * subscription yet and a subscription that finds no buffered message yet can
 * both commit, and the message is never correlated (measured: 3 of 40 orders).
 * PGlite runs one transaction at a time (`exclusive`), so it needs no lock.
 */
async function lockCorrelation(tx: SqlSession, exclusive: boolean, name: string, correlationKey: string): Promise<void> {
  if (exclusive) return;
  await lockCorrelationKey(tx, name, correlationKey);
}

export function messageBuffer(exclusive: boolean): MessageBuffer {
  return {
    take: async (tx, name, correlationKey, bpmnProcessId) => {
      await lockCorrelation(tx, exclusive, name, correlationKey);
      return takeBufferedMessage(tx, name, correlationKey, bpmnProcessId);
    },
  };
}

export type Message = { name: string; correlationKey: string; variables: Variables; messageId?: string; ttlMs: number };

export class Messages {
  constructor(
    private readonly o: {
      exclusive: boolean;
      keys: KeyAllocator;
      definitions: Definitions;
      transactions: TransactionRunner;
      instances: InstanceEvents;
      starts: MessageStarts;
    },
  ) {}

  async publish(m: Message): Promise<{ key: string }> {
    return this.o.transactions.event(async (tx) => {
      await lockCorrelation(tx, this.o.exclusive, m.name, m.correlationKey);
      // Zeebe: a message id is unique per name and correlation key while the message is buffered.
      if (m.messageId && (await isBuffered(tx, m.name, m.correlationKey, m.messageId)))
        throw new EngineError(
          'ALREADY_EXISTS',
          `a message with name '${m.name}', correlation key '${m.correlationKey}' and id '${m.messageId}' is already buffered`,
        );
      const key = await this.o.keys.take(tx);
      const correlated = await this.correlate(tx, m.name, m.correlationKey, m.variables);
      if (m.ttlMs > 0) await bufferMessage(tx, { ...m, key, correlatedProcessIds: [...correlated.keys()] });
      return { key };
    });
  }

  /** Correlates to a subscription open now or a message start event, else NOT_FOUND; never buffers. */
  async correlateNow(m: Omit<Message, 'messageId' | 'ttlMs'>): Promise<{ key: string; processInstanceKey: string }> {
    return this.o.transactions.event(async (tx) => {
      await lockCorrelation(tx, this.o.exclusive, m.name, m.correlationKey);
      const key = await this.o.keys.take(tx);
      const [processInstanceKey] = (await this.correlate(tx, m.name, m.correlationKey, m.variables)).values();
      // Zeebe: NOT_FOUND when no subscription or message start event took the message.
      if (!processInstanceKey)
        throw new EngineError('NOT_FOUND', `no process instance waits for message '${m.name}' with correlation key '${m.correlationKey}'`);
      return { key, processInstanceKey };
    });
  }

  /**
   * Hands a message to the subscriptions open now, then to message start events: at most
   * once per BPMN process id (Zeebe). Answers the process instances that took it, by process id.
   */
  private async correlate(tx: SqlSession, name: string, correlationKey: string, variables: Variables): Promise<Map<string, string>> {
    const subs = await openSubscriptions(tx, name, correlationKey);
    const correlated = new Map<string, string>();
    for (const sub of subs) {
      if (correlated.has(sub.bpmn_process_id)) continue;
      const done = await this.o.instances.onInstance(tx, sub.process_instance_key, (it) =>
        it.messageCorrelated({ elementInstanceKey: sub.element_instance_key, elementId: sub.element_id }, variables),
      );
      if (done?.result) correlated.set(sub.bpmn_process_id, sub.process_instance_key);
    }
    // Message start events of the latest version of each process: each starts one new instance.
    for (const starter of await this.o.definitions.withMessageStart(tx, name)) {
      if (correlated.has(starter.bpmn_process_id)) continue;
      // Zeebe: not while an instance this correlation key started is active (the message stays buffered).
      if (!(await this.o.starts.mayStart(tx, starter.bpmn_process_id, correlationKey))) continue;
      const def = await this.o.definitions.get(tx, starter.key);
      const startEvent = def.model.root.messageStarts.find((id) => def.model.nodes.get(id)?.message?.name === name);
      const { state } = await this.o.instances.newInstance(tx, def, variables, startEvent);
      await this.o.starts.started(tx, state, correlationKey);
      await this.o.instances.save(tx, [state]);
      correlated.set(starter.bpmn_process_id, state.instance.key);
    }
    return correlated;
  }
}
