// The OpenAPI entries of /metrics and of the ops page's JSON API (see openapi.ts).
import type { OpenApiHelpers as Helpers } from './openapi-helpers.js';
import * as o from './ops-schemas.js';

export function metricsPaths(): Record<string, unknown> {
  return {
    '/metrics': {
      get: {
        summary: 'Prometheus metrics of this process',
        description:
          'Text exposition format 0.0.4: orders by status, saga and job durations, job failures and retries, open incidents, refused webhooks, queue depths, ' +
          'process metrics. Open unless METRICS_TOKEN is set; then send it as a bearer token (or the Basic password).',
        responses: {
          200: {
            description: 'The metrics',
            content: { 'text/plain; version=0.0.4': { schema: { type: 'string' }, example: 'order_saga_orders{status="PAID"} 42\n' } },
          },
          401: {
            description: 'METRICS_TOKEN is set and was not sent',
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          },
        },
      },
    },
  };
}

/** Incidents and their retry: mounted with the saga, on either engine. */
export function incidentPaths({ json, problem, ok, list }: Helpers): Record<string, unknown> {
  const incidents = list(o.ListIncidentsQuery, '/ops/api/incidents');
  const keyParam = {
    name: 'key',
    in: 'path',
    required: true,
    description: 'Incident key',
    schema: json(o.IncidentParams.shape.key),
    example: '2251799813685300',
  };
  return {
    '/ops/api/incidents': {
      get: {
        summary: 'Open incidents by key, with the order each one stops (admin)',
        description: incidents.description,
        parameters: incidents.parameters,
        responses: { 200: ok(o.IncidentList, 'One page of open incidents'), 400: incidents.badRequest },
      },
    },
    '/ops/api/incidents/{key}/retry': {
      post: {
        summary: 'Retry an incident: give its job retries again and resolve it (admin)',
        parameters: [keyParam],
        requestBody: { required: false, content: { 'application/json': { schema: json(o.RetryIncidentBody, 'input'), example: { retries: 3 } } } },
        responses: {
          202: ok(o.RetryAccepted, 'Resolved; the job runs again', { key: '2251799813685300', resolved: true, retries: 3 }),
          400: problem('Not a key (digits, 1 to 9223372036854775807), or bad retries (1–100)'),
          403: problem('Sent from another site (Origin or Sec-Fetch-Site): `cross-site-request`'),
          404: problem('No active incident with this key'),
          415: problem('A body that is not JSON'),
        },
      },
    },
  };
}

/** An instance's decisions: on either engine (Camunda 8: from its search API). */
function decisionPaths({ json, problem, ok }: Helpers, engine: 'embedded' | 'zeebe'): Record<string, unknown> {
  return {
    '/ops/api/instances/{key}/decisions': {
      get: {
        summary: "The decisions a process instance's business rule tasks evaluated: decision and version, inputs, matched rules, output or failure (admin)",
        description:
          engine === 'zeebe'
            ? "Read from Camunda 8's search API (Operate's decision instances): an evaluation shows a moment after it ran, as does a new instance."
            : 'Oldest first; required decisions before the decision they served.',
        parameters: [instanceKeyParam(json)],
        responses: {
          200: ok(o.DecisionList),
          400: problem('Not a key: digits, 1 to 9223372036854775807'),
          404: problem('No such process instance'),
        },
      },
    },
  };
}

const instanceKeyParam = (json: Helpers['json']) => ({
  name: 'key',
  in: 'path',
  required: true,
  description: 'Process instance key',
  schema: json(o.InstanceParams.shape.key),
  example: '2251799813685250',
});

/** The ops JSON the ops page reads: all of it on the embedded engine, an instance's decisions on Camunda 8. */
export function opsPaths(helpers: Helpers, engine: 'embedded' | 'zeebe'): Record<string, unknown> {
  if (engine === 'zeebe') return decisionPaths(helpers, engine);
  const { json, problem, ok, list } = helpers;
  const definitions = list(o.ListDefinitionsQuery, '/ops/api/definitions');
  const keyParam = {
    name: 'key',
    in: 'path',
    required: true,
    description: 'Process definition key',
    schema: json(o.DefinitionParams.shape.key),
    example: '2251799813685249',
  };
  const idParam = {
    name: 'id',
    in: 'path',
    required: true,
    description: 'Order id (a UUID)',
    schema: { type: 'string', format: 'uuid' },
    example: '0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10',
  };
  return {
    '/ops/api/definitions': {
      get: {
        summary: 'Deployed process versions by process id, newest first, with instances by state (admin)',
        description: definitions.description,
        parameters: definitions.parameters,
        responses: { 200: ok(o.DefinitionList, 'One page of deployed versions'), 400: definitions.badRequest },
      },
    },
    '/ops/api/definitions/{key}': {
      get: {
        summary: 'One deployed version with its BPMN XML (admin)',
        parameters: [keyParam],
        responses: {
          200: ok(o.DefinitionXml),
          400: problem('Not a key: digits, 1 to 9223372036854775807'),
          404: problem('No such deployed version'),
        },
      },
    },
    '/ops/api/definitions/{key}/stats': {
      get: {
        summary:
          'Per element of one version: waiting now, p50/p95 time spent, job failures, incidents; where customers wait longest and what fails most (admin)',
        parameters: [keyParam],
        responses: {
          200: ok(o.DefinitionStats),
          400: problem('Not a key: digits, 1 to 9223372036854775807'),
          404: problem('No such deployed version'),
        },
      },
    },
    '/ops/api/orders/{id}/path': {
      get: {
        summary: "One order's path through the diagram, step by step with timestamps (admin)",
        parameters: [idParam],
        responses: { 200: ok(o.OrderPath), 400: problem('Not an order id (UUID)'), 404: problem('Unknown order') },
      },
    },
    '/ops/api/instances/{key}': {
      get: {
        summary:
          'One process instance: its steps, open incidents, the call activity that started it and the instances its call activities started, and the order it serves (admin)',
        parameters: [instanceKeyParam(json)],
        responses: {
          200: ok(o.InstanceView),
          400: problem('Not a key: digits, 1 to 9223372036854775807'),
          404: problem('No such process instance'),
        },
      },
    },
    ...decisionPaths(helpers, engine),
  };
}
