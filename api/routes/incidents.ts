// Incidents of the embedded engine over HTTP (a key with the ops scope): what is stuck, for which
// order, and "retry" (give the job retries again and resolve the incident).
// On Camunda 8, Operate does this.
import { Router, type RequestHandler } from 'express';
import { cursorOf, cursorParts, pageAfter, pageRequest } from '../../domain/paging.js';
import type { PrismaClient } from '../../infra/database.js';
import { EngineError, type Engine } from '../../orchestrator/engine.js';
import type { IncidentView } from '../../orchestrator/process-inspector.js';
import { logRequestWith } from '../log-context.js';
import { IncidentParams, isEngineKey, ListIncidentsQuery, RetryIncidentBody } from '../ops-schemas.js';
import { HttpProblem } from '../problem.js';
import { listParams, parse } from '../validate.js';

export type IncidentRouteDeps = {
  prisma: PrismaClient;
  incidents: { incidents(o?: { state?: 'ACTIVE' | 'RESOLVED' }): Promise<IncidentView[]> };
  engine: Pick<Engine, 'updateJobRetries' | 'resolveIncident'>;
  requireOps: RequestHandler;
  jsonParser: RequestHandler;
};

// An incident key is a 64-bit integer, as a string (ops-schemas.ts); incidents page by it, the cursor naming the last key shown.
// Digits without leading zeros: the shorter is the smaller, else the text decides.
const compareKeys = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

function decodeIncidentCursor(cursor: string): string | undefined {
  const [key] = cursorParts(cursor, 1) ?? [];
  return key !== undefined && isEngineKey(key) ? key : undefined;
}

async function withOrders(prisma: PrismaClient, incidents: IncidentView[]) {
  // An incident in a shipment's process belongs to the order whose instance called it (the root of its call tree).
  const orderInstance = (i: IncidentView) => i.rootProcessInstanceKey ?? i.processInstanceKey;
  const keys = [...new Set(incidents.map(orderInstance))];
  const orders = keys.length
    ? await prisma.order.findMany({ where: { processInstanceKey: { in: keys } }, select: { id: true, processInstanceKey: true } })
    : [];
  const byKey = new Map(orders.map((o) => [o.processInstanceKey, o.id]));
  return incidents.map((i) => {
    const { rootProcessInstanceKey: _root, ...view } = i;
    return { ...view, orderId: byKey.get(orderInstance(i)) ?? null };
  });
}

export function incidentRoutes(d: IncidentRouteDeps): Router {
  return Router()
    .get('/ops/api/incidents', d.requireOps, async (req, res) => {
      const request = pageRequest(listParams(req, ListIncidentsQuery), decodeIncidentCursor);
      // The engine answers every open incident; the page is cut by key here, the same on both engines.
      const open = [...(await d.incidents.incidents({ state: 'ACTIVE' }))].sort((a, b) => compareKeys(a.key, b.key));
      const page = pageAfter(
        open,
        request,
        (i, after) => compareKeys(i.key, after) > 0,
        (i) => cursorOf([i.key]),
      );
      res.json({ incidents: await withOrders(d.prisma, page.rows), nextCursor: page.nextCursor });
    })
    .post('/ops/api/incidents/:key/retry', d.requireOps, d.jsonParser, async (req, res) => {
      const { key } = parse(IncidentParams, req.params);
      const { retries } = parse(RetryIncidentBody, req.body ?? {}, '');
      const incident = (await d.incidents.incidents({ state: 'ACTIVE' })).find((i) => i.key === key);
      if (!incident) {
        throw new HttpProblem(404, 'not-found', 'No such incident', `there is no active incident ${key}`, [
          { field: 'key', message: 'no active incident with this key' },
        ]);
      }
      const [withOrder] = await withOrders(d.prisma, [incident]);
      logRequestWith(res, { orderId: withOrder?.orderId, processInstanceKey: incident.processInstanceKey });
      if (incident.jobKey) await d.engine.updateJobRetries({ jobKey: incident.jobKey, retries });
      try {
        await d.engine.resolveIncident(key);
      } catch (err) {
        // A second click that raced the first: the incident is resolved either way.
        if (!(err instanceof EngineError && err.code === 'NOT_FOUND')) throw err;
      }
      res.status(202).json({ key, resolved: true, retries: incident.jobKey ? retries : null });
    });
}
