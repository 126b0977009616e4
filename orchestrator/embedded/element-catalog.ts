// The name and BPMN type of every element of a deployed definition, as the diagram
// shows them: read from the stored XML once per definition (a definition never
// changes once deployed) and shared by the process inspector and the ops page.
import type { SqlSession } from '../../infra/database.js';
import type { ElementInfo } from '../process-inspector.js';
import { parseModels } from './model.js';
import { definitionByKey } from './store/definitions.js';

// The port's type (orchestrator/process-inspector.ts), re-exported for the embedded engine's callers.
export type { ElementInfo };

export class ElementCatalog {
  private readonly byDefinition = new Map<string, Promise<Map<string, ElementInfo> | undefined>>();

  constructor(private readonly sql: SqlSession) {}

  /** Element id → name and type; undefined when no definition has this key. */
  of(definitionKey: string): Promise<Map<string, ElementInfo> | undefined> {
    let elements = this.byDefinition.get(definitionKey);
    if (!elements) {
      elements = this.load(definitionKey);
      this.byDefinition.set(definitionKey, elements);
      // Neither a failed read nor an unknown key is remembered: the next call asks again.
      elements.then(
        (found) => found ?? this.byDefinition.delete(definitionKey),
        () => this.byDefinition.delete(definitionKey),
      );
    }
    return elements;
  }

  private async load(definitionKey: string): Promise<Map<string, ElementInfo> | undefined> {
    const row = await definitionByKey(this.sql, definitionKey);
    if (!row) return undefined;
    const model = (await parseModels(row.xml)).find((m) => m.bpmnProcessId === row.bpmn_process_id);
    const elements = new Map<string, ElementInfo>();
    if (!model) return elements;
    elements.set(model.root.id, { name: model.name ?? null, type: 'process' });
    for (const node of model.nodes.values()) elements.set(node.id, { name: node.name ? node.name.replace(/\s+/g, ' ').trim() : null, type: node.type });
    return elements;
  }
}
