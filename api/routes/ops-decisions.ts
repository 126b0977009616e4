// The decisions one process instance's business rule tasks evaluated (a key with the ops
// scope), as Operate shows them: on the embedded engine from its tables, on Camunda 8
// from the search API. The ops page's instance view lists them.
import { Router, type RequestHandler } from 'express';
import type { DecisionSource } from '../../orchestrator/process-inspector.js';
import { logRequestWith } from '../log-context.js';
import { InstanceParams } from '../ops-schemas.js';
import { HttpProblem } from '../problem.js';
import { parse } from '../validate.js';

export const noSuchInstance = (key: string) =>
  new HttpProblem(404, 'not-found', 'No such process instance', `the engine knows no process instance ${key}`, [
    { field: 'key', message: 'no process instance with this key' },
  ]);

export function decisionRoutes({ decisions, requireOps }: { decisions: DecisionSource; requireOps: RequestHandler }): Router {
  return Router().get('/ops/api/instances/:key/decisions', requireOps, async (req, res) => {
    const { key } = parse(InstanceParams, req.params);
    logRequestWith(res, { processInstanceKey: key });
    const found = await decisions.decisionsOf(key);
    if (!found) throw noSuchInstance(key);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ processInstanceKey: key, decisions: found });
  });
}
