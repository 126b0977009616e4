// SQL of engine_signal_subscriptions read outside an instance's save (who waits for a
// signal), and of the signal start events of each process's latest version.
import type { SqlSession } from '../../../infra/database.js';

export type SignalSubscriptionRow = { key: string; process_instance_key: string; element_instance_key: string; element_id: string };

/** The subscriptions open for this signal, by instance, oldest first. */
export function openSignalSubscriptions(tx: SqlSession, name: string): Promise<SignalSubscriptionRow[]> {
  return tx.query<SignalSubscriptionRow>(
    `SELECT key::text, process_instance_key::text, element_instance_key::text, element_id FROM engine_signal_subscriptions
     WHERE signal_name = $1 ORDER BY process_instance_key, key`,
    [name],
  );
}

/** The latest version of each process, where one of its signal start events has this signal's name; with the names in start event order. */
export function latestWithSignalStart(tx: SqlSession, name: string): Promise<{ key: string; signal_start_names: string[] }[]> {
  return tx.query<{ key: string; signal_start_names: string[] }>(
    `SELECT key::text, signal_start_names FROM (
       SELECT DISTINCT ON (bpmn_process_id) key, bpmn_process_id, signal_start_names FROM engine_process_definitions ORDER BY bpmn_process_id, version DESC) d
     WHERE $1 = ANY(d.signal_start_names) ORDER BY bpmn_process_id`,
    [name],
  );
}
