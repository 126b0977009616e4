// Where a process instance is now, and what is stuck, read from Camunda 8's
// search API (the data Operate shows). Search reads Zeebe's exported records:
// a step taken a moment ago may show a second later.
import type { IncidentSource, IncidentView, ProcessInspector, ProcessView } from '../process-inspector.js';
import type { ZeebeApi } from './client.js';
import { call, toEngineError } from './errors.js';

const NOW = { consistency: { waitUpToMs: 0 } } as const;
const KEY = /^[0-9]{1,19}$/;
// Scopes whose children are the steps (a multi-instance body's: its inner instances), and joins
// waiting for sibling branches (as on the embedded engine).
const NOT_A_STEP = new Set(['PROCESS', 'SUB_PROCESS', 'EVENT_SUB_PROCESS', 'MULTI_INSTANCE_BODY', 'PARALLEL_GATEWAY']);

/** SERVICE_TASK → serviceTask: the BPMN element names the embedded engine reports. */
export function elementType(restType: string): string {
  return restType.toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

type SearchApi = Pick<ZeebeApi, 'getProcessInstance' | 'searchElementInstances' | 'searchIncidents'>;
// The SDK brands ids (ProcessInstanceKey, ElementId…) in nested filters and results,
// even in its loose client; at run time they are strings. These say so once.
type ElementSearch = Parameters<SearchApi['searchElementInstances']>[0];
type IncidentSearch = Parameters<SearchApi['searchIncidents']>[0];
const elementSearch = (q: object) => q as ElementSearch;
const incidentSearch = (q: object) => q as IncidentSearch;
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

export class ZeebeProcessInspector implements ProcessInspector {
  constructor(private readonly api: SearchApi) {}

  async instance(processInstanceKey: string): Promise<ProcessView | undefined> {
    if (!KEY.test(processInstanceKey)) return undefined;
    let instance;
    try {
      instance = await this.api.getProcessInstance({ processInstanceKey }, NOW);
    } catch (err) {
      // Not exported yet, or unknown.
      if (toEngineError(err, 'reading a process instance').code === 'NOT_FOUND') return undefined;
      throw toEngineError(err, `reading process instance ${processInstanceKey}`);
    }
    const [elements, incidents] = await Promise.all([
      instance.state === 'ACTIVE'
        ? call('searching element instances', () =>
            this.api.searchElementInstances(
              elementSearch({ filter: { processInstanceKey, state: 'ACTIVE' }, sort: [{ field: 'startDate', order: 'ASC' }], page: { limit: 100 } }),
              NOW,
            ),
          )
        : Promise.resolve({ items: [] }),
      call('searching incidents', () =>
        this.api.searchIncidents(
          incidentSearch({ filter: { processInstanceKey, state: 'ACTIVE' }, sort: [{ field: 'creationTime', order: 'ASC' }], page: { limit: 100 } }),
          NOW,
        ),
      ),
    ]);
    const elementItems = elements.items ?? [];
    const incidentItems = incidents.items ?? [];
    const stuck = new Set(incidentItems.map((i) => str(i.elementInstanceKey)));
    return {
      processInstanceKey: str(instance.processInstanceKey),
      bpmnProcessId: str(instance.processDefinitionId),
      version: instance.processDefinitionVersion,
      state: instance.state,
      currentSteps: elementItems
        .filter((e) => !NOT_A_STEP.has(e.type) || stuck.has(str(e.elementInstanceKey)))
        // Zeebe reports the element id as the name of an element that has none.
        .map((e) => ({
          elementId: str(e.elementId),
          name: e.elementName && e.elementName !== str(e.elementId) ? e.elementName : null,
          type: elementType(e.type),
          since: e.startDate,
        })),
      incidents: incidentItems.map((i) => ({
        key: str(i.incidentKey),
        elementId: str(i.elementId),
        errorType: i.errorType ?? 'UNKNOWN',
        errorMessage: i.errorMessage ?? '',
        createdAt: i.creationTime ?? '',
      })),
    };
  }
}

/** Open incidents across the cluster (what Operate lists), in the shape the incidents API answers. */
export class ZeebeIncidents implements IncidentSource {
  constructor(
    private readonly api: Pick<ZeebeApi, 'searchIncidents'>,
    private readonly maxIncidents = 1000,
  ) {}

  async incidents(o: { state?: 'ACTIVE' | 'RESOLVED' } = {}): Promise<IncidentView[]> {
    const found = await call('searching incidents', () =>
      this.api.searchIncidents(
        incidentSearch({ filter: { state: o.state ?? 'ACTIVE' }, sort: [{ field: 'creationTime', order: 'ASC' }], page: { limit: this.maxIncidents } }),
        NOW,
      ),
    );
    return (found.items ?? []).map((i) => ({
      key: str(i.incidentKey),
      processInstanceKey: str(i.processInstanceKey),
      bpmnProcessId: str(i.processDefinitionId),
      elementId: str(i.elementId),
      elementInstanceKey: str(i.elementInstanceKey),
      jobKey: i.jobKey !== undefined && i.jobKey !== null ? str(i.jobKey) : null,
      errorType: i.errorType ?? 'UNKNOWN',
      errorMessage: i.errorMessage ?? '',
      state: i.state ?? 'ACTIVE',
      createdAt: i.creationTime ?? '',
    }));
  }

  /** Open incidents across the cluster, all of them: the search's total, not a page of it. */
  async openCount(): Promise<number> {
    const found = await call('counting incidents', () => this.api.searchIncidents(incidentSearch({ filter: { state: 'ACTIVE' }, page: { limit: 1 } }), NOW));
    const total = (found as { page?: { totalItems?: number } }).page?.totalItems;
    return typeof total === 'number' ? total : (await this.incidents({ state: 'ACTIVE' })).length;
  }
}
