// The ops page's JSON on the embedded engine (a key with the ops scope): deployed versions, one
// version's diagram and per-element statistics, one order's path through it, and one process
// instance as the page's instance view shows it (its steps, the call activity that started it,
// the instances it started). Incidents and their retry live in incidents.ts, an instance's
// decisions in ops-decisions.ts (both work on Camunda 8 too).
import { Router, type RequestHandler } from 'express';
import { getOrder } from '../../domain/orders/get-order.js';
import { cursorOf, cursorParts, pageAfter, pageRequest } from '../../domain/paging.js';
import type { PrismaClient } from '../../infra/database.js';
import type { AuditEntry, DefinitionSummary, ElementInfo, ProcessOperations } from '../../orchestrator/process-inspector.js';
import { logRequestWith } from '../log-context.js';
import { DefinitionParams, InstanceParams, ListDefinitionsQuery, OpsOrderParams } from '../ops-schemas.js';
import { isWaitingPoint, summarize } from '../ops-summary.js';
import { HttpProblem } from '../problem.js';
import { listParams, parse } from '../validate.js';
import { decisionRoutes, noSuchInstance } from './ops-decisions.js';

export type OpsOperations = Pick<
  ProcessOperations,
  'definitions' | 'definitionXml' | 'elements' | 'elementStats' | 'instance' | 'history' | 'incidents' | 'calledInstances' | 'decisionsOf'
>;

export type OpsApiDeps = { prisma: PrismaClient; operations: OpsOperations; requireOps: RequestHandler };

// Definitions page by (process id, version newest first), unique per deployed version:
// the cursor names the last one shown.
type DefinitionPosition = { bpmnProcessId: string; version: number };
const compareDefinitions = (a: DefinitionPosition, b: DefinitionPosition) =>
  a.bpmnProcessId < b.bpmnProcessId ? -1 : a.bpmnProcessId > b.bpmnProcessId ? 1 : b.version - a.version;

function decodeDefinitionCursor(cursor: string): DefinitionPosition | undefined {
  const [bpmnProcessId, version] = cursorParts(cursor, 2) ?? [];
  if (!bpmnProcessId || version === undefined || !/^\d{1,9}$/.test(version)) return undefined;
  return { bpmnProcessId, version: Number(version) };
}

/** An instance's audit trail as the page lists it: each step with the element's name. */
const stepsOf = (history: AuditEntry[], info: Map<string, ElementInfo>) =>
  history.map((h) => ({
    elementId: h.elementId,
    name: info.get(h.elementId)?.name ?? null,
    type: h.elementType,
    intent: h.intent,
    elementInstanceKey: h.elementInstanceKey,
    at: h.at,
  }));

const processFacts = (i: { definitionKey: string; bpmnProcessId: string; version: number; state: string; startedAt: string; endedAt: string | null }) => ({
  definitionKey: i.definitionKey,
  bpmnProcessId: i.bpmnProcessId,
  version: i.version,
  state: i.state,
  startedAt: i.startedAt,
  endedAt: i.endedAt,
});

/** Whether an instance's steps are still kept, and what to tell the operator once the audit retention deleted them. */
const auditTrailOf = (i: { auditPrunedAt: string | null; endedAt: string | null } | undefined) =>
  i?.auditPrunedAt
    ? {
        kept: false,
        prunedAt: i.auditPrunedAt,
        message: `The steps and decisions of this instance are no longer kept: it ended at ${i.endedAt ?? 'an unknown time'} and the audit retention (ENGINE_AUDIT_RETENTION_DAYS) deleted them at ${i.auditPrunedAt}. The per-element figures still count its visits.`,
      }
    : { kept: true, prunedAt: null, message: null };

const pathIncidents = (incidents: Awaited<ReturnType<OpsOperations['incidents']>>) =>
  incidents.map((i) => ({ key: i.key, elementId: i.elementId, errorType: i.errorType, errorMessage: i.errorMessage, createdAt: i.createdAt }));

const noSuchDefinition = (key: string) =>
  new HttpProblem(404, 'not-found', 'No such process definition', `no process definition ${key} is deployed`, [
    { field: 'key', message: 'no deployed process definition with this key' },
  ]);

export function opsApiRoutes({ prisma, operations, requireOps }: OpsApiDeps): Router {
  async function definition(key: string) {
    const found = await operations.definitionXml(key);
    if (!found) throw noSuchDefinition(key);
    return found;
  }

  return Router()
    .get('/ops/api/definitions', requireOps, async (req, res) => {
      const request = pageRequest(listParams(req, ListDefinitionsQuery), decodeDefinitionCursor);
      const all: DefinitionSummary[] = [...(await operations.definitions())].sort(compareDefinitions);
      const page = pageAfter(
        all,
        request,
        (d, after) => compareDefinitions(d, after) > 0,
        (d) => cursorOf([d.bpmnProcessId, String(d.version)]),
      );
      res.json({ definitions: page.rows, nextCursor: page.nextCursor });
    })
    .get('/ops/api/definitions/:key', requireOps, async (req, res) => {
      const { key } = parse(DefinitionParams, req.params);
      res.json(await definition(key));
    })
    .get('/ops/api/definitions/:key/stats', requireOps, async (req, res) => {
      const { key } = parse(DefinitionParams, req.params);
      const [summaries, stats, info] = await Promise.all([operations.definitions(), operations.elementStats(key), operations.elements(key)]);
      if (!info) throw noSuchDefinition(key);
      const elements = stats.map((s) => {
        const type = info.get(s.elementId)?.type ?? null;
        return { ...s, name: info.get(s.elementId)?.name ?? null, type, waitingPoint: isWaitingPoint(type) };
      });
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        definition: summaries.find((d) => d.key === key),
        elements,
        summary: summarize(elements),
        generatedAt: new Date().toISOString(),
      });
    })
    .get('/ops/api/orders/:id/path', requireOps, async (req, res) => {
      const { id } = parse(OpsOrderParams, req.params);
      const order = await getOrder(prisma, id.toLowerCase());
      const pik = order.processInstanceKey;
      logRequestWith(res, { orderId: order.id, processInstanceKey: pik });
      const [instance, history, incidents] = pik
        ? await Promise.all([operations.instance(pik), operations.history(pik), operations.incidents({ state: 'ACTIVE', processInstanceKey: pik })])
        : [undefined, [], []];
      const info: Map<string, ElementInfo> = (instance && (await operations.elements(instance.definitionKey))) || new Map();
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        orderId: order.id,
        status: order.status,
        processInstanceKey: pik,
        process: instance ? processFacts(instance) : null,
        steps: stepsOf(history, info),
        auditTrail: auditTrailOf(instance),
        statusHistory: order.history,
        incidents: pathIncidents(incidents),
      });
    })
    .get('/ops/api/instances/:key', requireOps, async (req, res) => {
      const { key } = parse(InstanceParams, req.params);
      const instance = await operations.instance(key);
      if (!instance) throw noSuchInstance(key);
      logRequestWith(res, { processInstanceKey: key });
      const parentKey = instance.parent?.processInstanceKey;
      const [history, incidents, called, info, parent, order] = await Promise.all([
        operations.history(key),
        operations.incidents({ state: 'ACTIVE', processInstanceKey: key }),
        operations.calledInstances(key),
        operations.elements(instance.definitionKey),
        parentKey ? operations.instance(parentKey) : undefined,
        // A called instance serves the order its call tree's root serves.
        prisma.order.findFirst({ where: { processInstanceKey: { in: [key, instance.rootProcessInstanceKey] } }, select: { id: true } }),
      ]);
      const elements = info ?? new Map<string, ElementInfo>();
      const parentElements = parent ? await operations.elements(parent.definitionKey) : undefined;
      logRequestWith(res, { orderId: order?.id });
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        processInstanceKey: instance.key,
        orderId: order?.id ?? null,
        process: processFacts(instance),
        parent: instance.parent
          ? {
              processInstanceKey: instance.parent.processInstanceKey,
              bpmnProcessId: instance.parent.bpmnProcessId,
              elementId: instance.parent.elementId,
              name: (instance.parent.elementId && parentElements?.get(instance.parent.elementId)?.name) || null,
              elementInstanceKey: instance.parent.elementInstanceKey,
            }
          : null,
        rootProcessInstanceKey: instance.rootProcessInstanceKey,
        steps: stepsOf(history, elements),
        auditTrail: auditTrailOf(instance),
        incidents: pathIncidents(incidents),
        calledInstances: called.map((c) => ({ ...c, name: (c.elementId && elements.get(c.elementId)?.name) || null })),
      });
    })
    .use(decisionRoutes({ decisions: operations, requireOps }));
}
