// Signals (Zeebe "Signal events"): a broadcast, in one transaction, triggers every signal
// subscription open with its name (intermediate catch events, boundary events, event
// sub-process start events of active scopes) in every active instance, and starts one
// instance of the latest version of each process with a signal start event of that name.
// Nothing is buffered: a signal nobody waits for is gone. Signal throw events broadcast
// the same way, in the transaction of the step that reached them.
import type { SqlSession } from '../../infra/database.js';
import type { Variables } from '../engine.js';
import type { Definitions } from './definitions.js';
import { evaluateValue } from './feel.js';
import type { InstanceEvents } from './instance-events.js';
import type { KeyAllocator } from './keys.js';
import { UnsupportedModelError, type Model, type Node } from './model.js';
import type { JobStreaming } from './job-streaming.js';
import type { InstanceState } from './state.js';
import { loadInstances, lockInstances } from './store/instances.js';
import { latestWithSignalStart, openSignalSubscriptions, type SignalSubscriptionRow } from './store/signals.js';
import type { TransactionRunner } from './transactions.js';

export type Signal = { name: string; variables: Variables };

/** Zeebe: a signal's name is static or a FEEL expression giving a string; the reason when it gives none. */
export function signalNameOf(node: Pick<Node, 'signal'>, vars: Variables): { value: string; failure?: undefined } | { failure: string } {
  const expression = node.signal ?? '';
  let value: unknown;
  try {
    value = evaluateValue(expression, vars);
  } catch (err) {
    return { failure: (err as Error).message };
  }
  if (typeof value === 'string') return { value };
  const was = value === undefined || value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'object' ? 'context' : typeof value;
  return { failure: `Expected result of the expression '${expression.replace(/^\s*=/, '')}' to be 'STRING', but was '${was.toUpperCase()}'.` };
}

/** The names of a process's signal start events, in their order; Zeebe evaluates them at deploy, without variables. */
export function signalStartNames(model: Model): string[] {
  return model.root.signalStarts.map((id) => {
    const name = signalNameOf(model.nodes.get(id) ?? {}, {});
    if (name.failure !== undefined) throw new UnsupportedModelError([{ elementId: id, type: 'startEvent', reason: name.failure }]);
    return name.value;
  });
}

export class Signals {
  constructor(
    private readonly o: {
      exclusive: boolean;
      keys: KeyAllocator;
      definitions: Definitions;
      transactions: TransactionRunner;
      instances: InstanceEvents;
      streaming: JobStreaming;
    },
  ) {}

  broadcast(signal: Signal): Promise<{ key: string }> {
    return this.o.transactions.event(async (tx) => {
      const key = await this.o.keys.take(tx);
      await this.deliver(tx, signal);
      return { key };
    });
  }

  /**
   * Delivers a signal in `tx`: to every subscription open now (but those in `exclude`),
   * each instance once with all of its own, then to the signal start events. Subscriptions
   * opened by what it triggers are not reached by it.
   */
  async deliver(tx: SqlSession, signal: Signal, exclude?: ReadonlySet<string>): Promise<void> {
    const byInstance = new Map<string, SignalSubscriptionRow[]>();
    for (const sub of await openSignalSubscriptions(tx, signal.name)) {
      if (exclude?.has(sub.key)) continue;
      byInstance.set(sub.process_instance_key, [...(byInstance.get(sub.process_instance_key) ?? []), sub]);
    }
    // All at once, each after the root of its call tree and in key order, as every event on
    // several instances locks them: concurrent broadcasts queue instead of deadlocking. A subscription whose element
    // was left meanwhile is skipped once its instance is loaded, locked, so none is triggered twice.
    // PGlite runs one transaction at a time: no lock needed.
    const keys = [...byInstance.keys()];
    const active = keys.length === 0 ? [] : this.o.exclusive ? keys : await lockInstances(tx, keys);
    const { states } = active.length === 0 ? { states: new Map<string, InstanceState>() } : await loadInstances(tx, active);
    const touched: InstanceState[] = [];
    for (const [instanceKey, subs] of byInstance) {
      const state = states.get(instanceKey);
      if (!state) continue; // ended meanwhile
      const it = await this.o.instances.interpreter(tx, state);
      await it.signalReceived(
        subs.map((s) => ({ elementInstanceKey: s.element_instance_key, elementId: s.element_id })),
        signal.variables,
      );
      this.o.streaming.pushJobs(tx, state, it);
      touched.push(state);
    }
    for (const starter of await latestWithSignalStart(tx, signal.name)) {
      const def = await this.o.definitions.get(tx, starter.key);
      const startEvent = def.model.root.signalStarts[starter.signal_start_names.indexOf(signal.name)];
      touched.push((await this.o.instances.newInstance(tx, def, structuredClone(signal.variables), startEvent)).state);
    }
    // One statement saves them all.
    if (touched.length > 0) await this.o.instances.save(tx, touched);
  }
}
