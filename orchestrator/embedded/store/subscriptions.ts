// SQL of engine_message_subscriptions read outside an instance's save: who waits for a message.
import type { SqlSession } from '../../../infra/database.js';

export type SubscriptionRow = { process_instance_key: string; element_instance_key: string; element_id: string; bpmn_process_id: string };

/** The subscriptions open for this message name and correlation key, by instance, oldest first. */
export function openSubscriptions(tx: SqlSession, name: string, correlationKey: string): Promise<SubscriptionRow[]> {
  return tx.query<SubscriptionRow>(
    `SELECT process_instance_key::text, element_instance_key::text, element_id, bpmn_process_id FROM engine_message_subscriptions
     WHERE message_name = $1 AND correlation_key = $2 ORDER BY process_instance_key, key`,
    [name, correlationKey],
  );
}
