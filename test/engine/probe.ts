// What the conformance suite observes of an engine, beyond the port's own calls:
// an instance's state and variables, which elements completed or wait, incidents,
// open jobs and subscriptions. The embedded engine answers from its tables; a
// Camunda 8 cluster from its search API (test/engine/zeebe-harness.ts). Tests read
// only through this, so the same test runs on both.
import type { SqlSession } from '../../infra/database.js';
import type { Variables } from '../../orchestrator/engine.js';

export type InstanceSnapshot = { state: 'ACTIVE' | 'COMPLETED' | 'TERMINATED'; variables: Variables };
/** An instance a call activity started: its key, process, state and the call activity (element instance key and id). */
export type ChildInstance = {
  key: string;
  bpmnProcessId: string;
  state: InstanceSnapshot['state'];
  parentElementInstanceKey: string;
  parentElementId: string;
};
export type IncidentRow = { key: string; error_type: string; error_message: string; state: string; job_key: string | null; element_id: string };

export interface EngineProbe {
  /** The instance's state and root-scope variables; undefined while the engine does not show it. */
  instance(processInstanceKey: string): Promise<InstanceSnapshot | undefined>;
  /** Element ids in the order they completed (the process element itself excluded). */
  completedElements(processInstanceKey: string): Promise<string[]>;
  /** Element ids terminated (cut short), in that order. */
  terminatedElements(processInstanceKey: string): Promise<string[]>;
  /** Element ids active now, sorted (the process element itself excluded). */
  activeElements(processInstanceKey: string): Promise<string[]>;
  incidents(processInstanceKey: string): Promise<IncidentRow[]>;
  /** Jobs not completed, cancelled or answered with a caught BPMN error. */
  openJobs(processInstanceKey: string): Promise<number>;
  /** Message subscriptions waiting for a message. */
  openSubscriptions(processInstanceKey: string): Promise<number>;
  /** Timers not fired yet; undefined when the engine offers no way to see them (Zeebe's API has none). */
  openTimers(processInstanceKey: string): Promise<number | undefined>;
  /** Instances of a process, oldest first. */
  instancesOf(bpmnProcessId: string): Promise<InstanceSnapshot[]>;
  /** Jobs of a process: their type and instance, oldest first. */
  jobsOf(bpmnProcessId: string): Promise<{ type: string; processInstanceKey: string }[]>;
  /** Instances the call activities of this instance started, oldest first. */
  childInstances(processInstanceKey: string): Promise<ChildInstance[]>;
}

export class EmbeddedProbe implements EngineProbe {
  constructor(private readonly sql: SqlSession) {}

  async instance(key: string): Promise<InstanceSnapshot | undefined> {
    const [row] = await this.sql.query<InstanceSnapshot>(`SELECT state, variables FROM engine_process_instances WHERE key = $1::bigint`, [key]);
    return row;
  }

  private async elements(key: string, intent: string): Promise<string[]> {
    const rows = await this.sql.query<{ element_id: string }>(
      `SELECT element_id FROM engine_audit WHERE process_instance_key = $1::bigint AND intent = $2 AND element_type <> 'process' ORDER BY id`,
      [key, intent],
    );
    return rows.map((r) => r.element_id);
  }

  completedElements(key: string): Promise<string[]> {
    return this.elements(key, 'ELEMENT_COMPLETED');
  }

  terminatedElements(key: string): Promise<string[]> {
    return this.elements(key, 'ELEMENT_TERMINATED');
  }

  async activeElements(key: string): Promise<string[]> {
    const rows = await this.sql.query<{ element_id: string }>(
      `SELECT element_id FROM engine_element_instances WHERE process_instance_key = $1::bigint AND state = 'ACTIVE' AND element_type <> 'process' ORDER BY element_id`,
      [key],
    );
    return rows.map((r) => r.element_id);
  }

  incidents(key: string): Promise<IncidentRow[]> {
    return this.sql.query<IncidentRow>(
      `SELECT key::text, error_type, error_message, state, job_key::text, element_id FROM engine_incidents WHERE process_instance_key = $1::bigint ORDER BY key`,
      [key],
    );
  }

  private async count(table: string, key: string): Promise<number> {
    const [row] = await this.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE process_instance_key = $1::bigint`, [key]);
    return row?.n ?? 0;
  }

  openJobs(key: string): Promise<number> {
    return this.count('engine_jobs', key);
  }

  openSubscriptions(key: string): Promise<number> {
    return this.count('engine_message_subscriptions', key);
  }

  openTimers(key: string): Promise<number> {
    return this.count('engine_timers', key);
  }

  instancesOf(bpmnProcessId: string): Promise<InstanceSnapshot[]> {
    return this.sql.query<InstanceSnapshot>(`SELECT state, variables FROM engine_process_instances WHERE bpmn_process_id = $1 ORDER BY key`, [bpmnProcessId]);
  }

  async jobsOf(bpmnProcessId: string): Promise<{ type: string; processInstanceKey: string }[]> {
    const rows = await this.sql.query<{ type: string; process_instance_key: string }>(
      `SELECT type, process_instance_key::text FROM engine_jobs WHERE bpmn_process_id = $1 ORDER BY key`,
      [bpmnProcessId],
    );
    return rows.map((r) => ({ type: r.type, processInstanceKey: r.process_instance_key }));
  }

  childInstances(key: string): Promise<ChildInstance[]> {
    return this.sql.query<ChildInstance>(
      `SELECT i.key::text AS "key", i.bpmn_process_id AS "bpmnProcessId", i.state, i.parent_element_instance_key::text AS "parentElementInstanceKey",
              (SELECT a.element_id FROM engine_audit a
               WHERE a.process_instance_key = i.parent_process_instance_key AND a.element_instance_key = i.parent_element_instance_key LIMIT 1) AS "parentElementId"
       FROM engine_process_instances i WHERE i.parent_process_instance_key = $1::bigint ORDER BY i.key`,
      [key],
    );
  }
}
