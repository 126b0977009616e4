// /ops: the ops page (a key with the ops scope; a browser is asked for it as a Basic password). On the embedded
// engine it is the live diagram (api/ops/), drawn by bpmn-js from node_modules
// (no CDN: the service must work offline), with its JSON API. On Camunda 8
// Operate is the ops view: the page only says so and links to it, and of the JSON
// API only an instance's decisions are served (read from the search API).
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type RequestHandler } from 'express';
import type { DecisionSource } from '../../orchestrator/process-inspector.js';
import { FRAME_ANCESTORS_NONE } from '../no-framing.js';
import { opsApiRoutes, type OpsApiDeps } from './ops-api.js';
import { decisionRoutes } from './ops-decisions.js';

export type OpsMode = ({ engine: 'embedded' } & Omit<OpsApiDeps, 'requireOps'>) | { engine: 'zeebe'; operateUrl?: string; decisions: DecisionSource };

const OPS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'ops');
// The page is served by GET /ops only, with its CSP: the static folder holds no HTML.
const OPS_PAGE = path.join(OPS_DIR, 'ops.html');
const OPS_ASSETS_DIR = path.join(OPS_DIR, 'assets');
const BPMN_JS_DIST = path.join(path.dirname(createRequire(import.meta.url).resolve('bpmn-js/package.json')), 'dist');

// The page shows text from outside (error messages, names from the BPMN file) and has a
// Retry button: no foreign scripts, no framing by another site. bpmn-js styles its SVG inline.
// It replaces the framing-only policy every /ops response gets (no-framing.ts), keeping its rule.
const CONTENT_SECURITY_POLICY = `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; ${FRAME_ANCESTORS_NONE}; base-uri 'none'; form-action 'self'`;
const pageHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('Cache-Control', 'no-store');
  next();
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The whole page on Camunda 8: there is nothing of ours to draw, Operate has it all. */
export function camundaPage(operateUrl: string | undefined): string {
  const link = operateUrl
    ? `<p>Open <a data-testid="operate-link" href="${escapeHtml(operateUrl)}">Camunda Operate</a> to see the live process, incidents and retries.</p>`
    : '<p>Camunda Operate is the ops view for it; set <code>CAMUNDA_OPERATE_BASE_URL</code> to link it from here.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>order-saga ops</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/ops/assets/ops.css"></head>
<body class="ops-camunda"><main>
<h1>order-saga ops</h1>
<p data-testid="engine-note">This service runs its processes on <strong>Camunda 8</strong> (ENGINE=zeebe), not on the embedded engine.</p>
${link}
<p>Still here: <a href="/ops/queues">the BullMQ queues</a>, <a href="/ops/api/incidents">open incidents (JSON)</a>, an instance's decisions (JSON, <code>/ops/api/instances/&lt;key&gt;/decisions</code>), <a href="/metrics">Prometheus metrics</a>.</p>
</main></body></html>
`;
}

export function opsRoutes(mode: OpsMode, requireOps: RequestHandler): Router {
  const router = Router();
  // Vendor and page assets are not secret, but everything under /ops asks for the token alike:
  // one rule is easier to reason about than a list of exceptions.
  router.use('/ops/assets', requireOps, express.static(OPS_ASSETS_DIR, { index: false }));
  if (mode.engine === 'zeebe') {
    router.get('/ops', requireOps, pageHeaders, (_req, res) => {
      res.type('html').send(camundaPage(mode.operateUrl));
    });
    router.use(decisionRoutes({ decisions: mode.decisions, requireOps }));
    return router;
  }
  router.use('/ops/assets/bpmn-js', requireOps, express.static(BPMN_JS_DIST, { index: false }));
  router.get('/ops', requireOps, pageHeaders, (_req, res) => {
    res.sendFile(OPS_PAGE);
  });
  router.use(opsApiRoutes({ prisma: mode.prisma, operations: mode.operations, requireOps }));
  return router;
}
