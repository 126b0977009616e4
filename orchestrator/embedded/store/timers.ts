// SQL of engine_timers read outside an instance's save: which are due, taking one to
// fire, and dropping those of instances no longer active.
import type { SqlSession } from '../../../infra/database.js';

export type DueTimer = { key: string; process_instance_key: string };
export type FiredTimer = {
  key: string;
  elementInstanceKey: string;
  elementId: string;
  dueAt: Date;
  repetitionsLeft: number | null;
  interval: string | null;
  interrupting: boolean;
};

/** At most this many due timers are read at once. */
export const DUE_TIMERS_PER_READ = 100;

/** Due timers, the longest due first. */
export function dueTimers(sql: SqlSession): Promise<DueTimer[]> {
  return sql.query<DueTimer>(
    `SELECT key::text, process_instance_key::text FROM engine_timers WHERE due_at <= now() ORDER BY due_at LIMIT ${DUE_TIMERS_PER_READ}`,
  );
}

/** Deletes the timer and answers it, or undefined when another process fired it meanwhile. */
export async function takeTimer(tx: SqlSession, key: string): Promise<FiredTimer | undefined> {
  const [timer] = await tx.query<{
    element_instance_key: string;
    element_id: string;
    due_at: Date;
    repetitions_left: number | null;
    interval: string | null;
    interrupting: boolean;
  }>(`DELETE FROM engine_timers WHERE key = $1::bigint RETURNING element_instance_key::text, element_id, due_at, repetitions_left, interval, interrupting`, [
    key,
  ]);
  return (
    timer && {
      key,
      elementInstanceKey: timer.element_instance_key,
      elementId: timer.element_id,
      dueAt: new Date(timer.due_at),
      repetitionsLeft: timer.repetitions_left,
      interval: timer.interval,
      interrupting: timer.interrupting,
    }
  );
}

/** Timers of instances that are no longer active never fire: drops the due ones. */
export function dropTimersOfEndedInstances(sql: SqlSession): Promise<unknown> {
  return sql.query(
    `DELETE FROM engine_timers t WHERE t.due_at <= now() AND NOT EXISTS (SELECT 1 FROM engine_process_instances i WHERE i.key = t.process_instance_key AND i.state = 'ACTIVE')`,
  );
}
