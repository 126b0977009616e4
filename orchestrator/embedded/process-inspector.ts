// ProcessInspector for the embedded engine: reads the engine_* tables directly.
// Element names come from the deployed BPMN (the element catalog).
import type { Database, SqlSession } from '../../infra/database.js';
import type { ProcessInspector, ProcessView } from '../process-inspector.js';
import { ElementCatalog, type ElementInfo } from './element-catalog.js';
import { MULTI_INSTANCE_BODY } from './multi-instance.js';

// Element instances that only hold others (their children are the steps: a multi-instance
// body's are its inner instances), and parallel joins waiting for sibling branches (those
// branches show their own steps).
const NOT_A_STEP = new Set(['process', 'subProcess', 'eventSubProcess', MULTI_INSTANCE_BODY, 'parallelGateway']);
const KEY = /^[0-9]{1,19}$/;

type InstanceRow = { key: string; definition_key: string; bpmn_process_id: string; version: number; state: ProcessView['state'] };
type ElementRow = { key: string; element_id: string; element_type: string; activated_at: Date | string };
type IncidentRow = { key: string; element_id: string; element_instance_key: string; error_type: string; error_message: string; created_at: Date | string };

const iso = (v: Date | string) => new Date(v).toISOString();

export class EmbeddedProcessInspector implements ProcessInspector {
  private readonly sql: SqlSession;

  /** Takes the database (like EmbeddedEngine) and reads through its raw-SQL session. */
  constructor(
    db: Pick<Database, 'sql'>,
    private readonly elements = new ElementCatalog(db.sql),
  ) {
    this.sql = db.sql;
  }

  async instance(processInstanceKey: string): Promise<ProcessView | undefined> {
    if (!KEY.test(processInstanceKey)) return undefined;
    const [instance] = await this.sql.query<InstanceRow>(
      `SELECT key::text, definition_key::text, bpmn_process_id, version, state FROM engine_process_instances WHERE key = $1::bigint`,
      [processInstanceKey],
    );
    if (!instance) return undefined;
    const [elements, incidents] = await Promise.all([
      instance.state === 'ACTIVE'
        ? this.sql.query<ElementRow>(
            `SELECT key::text, element_id, element_type, activated_at FROM engine_element_instances
             WHERE process_instance_key = $1::bigint AND state = 'ACTIVE' ORDER BY activated_at, key`,
            [processInstanceKey],
          )
        : Promise.resolve([]),
      this.sql.query<IncidentRow>(
        `SELECT key::text, element_id, element_instance_key::text, error_type, error_message, created_at FROM engine_incidents
         WHERE process_instance_key = $1::bigint AND state = 'ACTIVE' ORDER BY key`,
        [processInstanceKey],
      ),
    ]);
    // The step names are a nicety: an unreadable model still answers where the instance is.
    const names: Map<string, ElementInfo> = (await this.elements.of(instance.definition_key).catch(() => undefined)) ?? new Map();
    // An element stopped by an incident is where the instance is, whatever its type.
    const stuck = new Set(incidents.map((i) => i.element_instance_key));
    return {
      processInstanceKey: instance.key,
      bpmnProcessId: instance.bpmn_process_id,
      version: instance.version,
      state: instance.state,
      currentSteps: elements
        .filter((e) => !NOT_A_STEP.has(e.element_type) || stuck.has(e.key))
        .map((e) => ({ elementId: e.element_id, name: names.get(e.element_id)?.name ?? null, type: e.element_type, since: iso(e.activated_at) })),
      incidents: incidents.map((i) => ({
        key: i.key,
        elementId: i.element_id,
        errorType: i.error_type,
        errorMessage: i.error_message,
        createdAt: iso(i.created_at),
      })),
    };
  }
}
