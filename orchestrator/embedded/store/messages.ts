// SQL of engine_messages: buffered messages (published with a time to live), and the
// lock that serialises a publish with a subscription opening for the same message.
import type { SqlSession } from '../../../infra/database.js';
import type { Variables } from '../../engine.js';

/** Held until the transaction ends, per message name and correlation key. */
export function lockCorrelationKey(tx: SqlSession, name: string, correlationKey: string): Promise<unknown> {
  return tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 7211))`, [`${name}\u001f${correlationKey}`]);
}

/** The oldest buffered, unexpired message not yet correlated to this process id; marks it correlated. */
export async function takeBufferedMessage(
  tx: SqlSession,
  name: string,
  correlationKey: string,
  bpmnProcessId: string,
): Promise<{ key: string; variables: Variables } | undefined> {
  const [row] = await tx.query<{ key: string; variables: Variables }>(
    `UPDATE engine_messages SET correlated_process_ids = array_append(correlated_process_ids, $3)
     WHERE key = (SELECT key FROM engine_messages WHERE name = $1 AND correlation_key = $2 AND expires_at > now()
                    AND NOT ($3 = ANY(correlated_process_ids)) ORDER BY key LIMIT 1 FOR UPDATE)
     RETURNING key::text, variables`,
    [name, correlationKey, bpmnProcessId],
  );
  return row;
}

/** Whether a message with this id is buffered now; an expired one is deleted first (its id is free again). */
export async function isBuffered(tx: SqlSession, name: string, correlationKey: string, messageId: string): Promise<boolean> {
  // One statement: the SELECT sees the rows as before the DELETE, hence its own expiry test.
  const dup = await tx.query(
    `WITH expired AS (DELETE FROM engine_messages WHERE name = $1 AND correlation_key = $2 AND message_id = $3 AND expires_at <= now())
     SELECT 1 FROM engine_messages WHERE name = $1 AND correlation_key = $2 AND message_id = $3 AND expires_at > now()`,
    [name, correlationKey, messageId],
  );
  return dup.length > 0;
}

export function bufferMessage(
  tx: SqlSession,
  m: { key: string; name: string; correlationKey: string; messageId?: string; variables: Variables; ttlMs: number; correlatedProcessIds: string[] },
): Promise<unknown> {
  return tx.query(
    `INSERT INTO engine_messages (key, name, correlation_key, message_id, variables, expires_at, correlated_process_ids)
     VALUES ($1::bigint, $2, $3, $4, $5::jsonb, now() + $6::int * interval '1 millisecond', $7::text[])`,
    [m.key, m.name, m.correlationKey, m.messageId ?? null, JSON.stringify(m.variables), m.ttlMs, m.correlatedProcessIds],
  );
}
