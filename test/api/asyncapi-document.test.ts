// The events' AsyncAPI document as the running app serves it (/asyncapi.json), read by the
// official AsyncAPI parser: any diagnostic of severity error fails. And the event examples of
// docs/events.md fit the schemas the document publishes.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { EVENT_SCHEMAS } from '../../api/event-schemas.js';
import { EVENT_TYPES } from '../../domain/events/event-types.js';
import { startEveryRouteApp, type EveryRouteApp } from '../support/every-route-app.js';

let app: EveryRouteApp;

beforeAll(async () => {
  app = await startEveryRouteApp();
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe('the AsyncAPI document', () => {
  test('the official parser finds no error in /asyncapi.json, and every event type is a message', async () => {
    const res = await fetch(`${app.baseUrl}/asyncapi.json`);
    expect(res.status).toBe(200);
    const { document, diagnostics } = await new Parser().parse(await res.text());
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    const warnings = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Warning);
    const others = diagnostics.length - errors.length - warnings.length;
    process.stdout.write(`\n[asyncapi] the parser: ${errors.length} errors, ${warnings.length} warnings, ${others} other diagnostics\n`);
    expect(errors.map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    expect(
      document!
        .allMessages()
        .all()
        .map((m) => m.name())
        .sort(),
    ).toEqual([...EVENT_TYPES].sort());
  });

  test('every event example in docs/events.md fits the schema of its type', async () => {
    const markdown = await readFile(new URL('../../docs/events.md', import.meta.url), 'utf8');
    const examples = [...markdown.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1]!) as { type?: string });
    const events = examples.filter((e) => typeof e.type === 'string' && e.type.startsWith('order.'));
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      const schema = EVENT_SCHEMAS[event.type as keyof typeof EVENT_SCHEMAS];
      expect([event.type, schema?.safeParse(event).error?.issues ?? (schema ? undefined : 'no such event type')]).toEqual([event.type, undefined]);
    }
  });
});
