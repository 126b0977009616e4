// The webhook dispatcher against real local HTTP servers standing in for businesses: a
// business's endpoint is the one boundary a test cannot reach. Our side (signing,
// node:http, the status rules) is real; nothing is mocked.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { PermanentDispatchError, TransientDispatchError } from '../../domain/shipments/dispatcher.js';
import { verifySignature } from '../../domain/payments/signature.js';
import { webhookDispatcher } from '../../integrations/dispatchers/webhook.js';
import { business, businessEndpoint, closedPort, shipmentMessage } from './support.js';

const STATUS_BY_PATH: Record<string, number | 'hang'> = {
  '/busy': 503,
  '/limited': 429,
  '/slow-client': 408,
  '/bad': 400,
  '/gone': 410,
  '/moved': 302,
  '/hang': 'hang',
};
let endpoint: Awaited<ReturnType<typeof businessEndpoint>>;
const plugin = webhookDispatcher();

beforeAll(async () => {
  endpoint = await businessEndpoint((path) => STATUS_BY_PATH[path] ?? 200);
});
afterAll(() => endpoint?.close());

const lastRequest = () => endpoint.received.at(-1)!;

describe('webhook dispatcher: what the business receives', () => {
  test('a dispatch is POSTed as JSON with the stable id, type shipment.dispatch and every message field', async () => {
    const message = shipmentMessage();
    const result = await plugin.send(message, business({ url: endpoint.url('/shipments') }));

    expect(result).toEqual({ detail: 'HTTP 200' });
    const request = lastRequest();
    expect(request).toMatchObject({ method: 'POST', path: '/shipments' });
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({ id: `${message.shipmentId}:dispatch`, type: 'shipment.dispatch', ...message });
    expect(request.headers['idempotency-key']).toBe(`${message.shipmentId}:dispatch`);
  });

  test('the Business-Signature verifies with the business secret and not with another secret', async () => {
    const target = business({ url: endpoint.url('/shipments') });
    await plugin.send(shipmentMessage(), target);
    const { headers, body } = lastRequest();
    const header = headers['business-signature'] as string;

    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature({ header, rawBody: body, secret: target.secret, toleranceSeconds: 300 })).toMatchObject({ ok: true });
    expect(verifySignature({ header, rawBody: body, secret: 'whsec_someone_else', toleranceSeconds: 300 })).toEqual({ ok: false, reason: 'mismatch' });
    // The MAC covers the raw bytes: a body altered on the way does not verify.
    expect(verifySignature({ header, rawBody: body.replace('SKU-KETTLE', 'SKU-KETTLF'), secret: target.secret, toleranceSeconds: 300 }).ok).toBe(false);
  });

  test('the same message sent twice carries the same id and Idempotency-Key; another kind another id', async () => {
    const target = business({ url: endpoint.url('/twice') });
    const message = shipmentMessage();
    await plugin.send(message, target);
    await plugin.send(message, target);
    await plugin.send({ ...message, kind: 'reminder' }, target);
    const [first, second, reminder] = endpoint.received.filter((r) => r.path === '/twice');

    expect(JSON.parse(second!.body).id).toBe(JSON.parse(first!.body).id);
    expect(second!.headers['idempotency-key']).toBe(first!.headers['idempotency-key']);
    expect(JSON.parse(reminder!.body).id).not.toBe(JSON.parse(first!.body).id);
  });

  test('a reminder is typed shipment.reminder and a stop shipment.stop', async () => {
    const target = business({ url: endpoint.url('/kinds') });
    await plugin.send(shipmentMessage({ kind: 'reminder' }), target);
    await plugin.send(shipmentMessage({ kind: 'stop' }), target);
    const bodies = endpoint.received.filter((r) => r.path === '/kinds').map((r) => JSON.parse(r.body) as { type: string; kind: string });

    expect(bodies.map((b) => [b.type, b.kind])).toEqual([
      ['shipment.reminder', 'reminder'],
      ['shipment.stop', 'stop'],
    ]);
  });
});

describe('webhook dispatcher: which failures are retried', () => {
  test.each([
    ['503', '/busy'],
    ['429', '/limited'],
    ['408', '/slow-client'],
  ])('HTTP %s is a TransientDispatchError (the job retries with back-off)', async (status, path) => {
    const sent = plugin.send(shipmentMessage(), business({ url: endpoint.url(path) }));
    await expect(sent).rejects.toBeInstanceOf(TransientDispatchError);
    await expect(sent).rejects.toThrow(`HTTP ${status}`);
  });

  test('no answer within timeoutMs is a TransientDispatchError', async () => {
    const started = Date.now();
    const sent = plugin.send(shipmentMessage(), business({ url: endpoint.url('/hang'), timeoutMs: 100 }));
    await expect(sent).rejects.toBeInstanceOf(TransientDispatchError);
    await expect(sent).rejects.toThrow(/within 100 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('a refused connection is a TransientDispatchError', async () => {
    const sent = plugin.send(shipmentMessage(), business({ url: `http://127.0.0.1:${await closedPort()}/shipments` }));
    await expect(sent).rejects.toBeInstanceOf(TransientDispatchError);
  });

  test.each([
    ['400', '/bad'],
    ['410', '/gone'],
  ])('HTTP %s is a PermanentDispatchError naming the status', async (status, path) => {
    const sent = plugin.send(shipmentMessage(), business({ url: endpoint.url(path) }));
    await expect(sent).rejects.toBeInstanceOf(PermanentDispatchError);
    await expect(sent).rejects.toThrow(`answered HTTP ${status}`);
  });

  test('a 3xx is a PermanentDispatchError and its redirect is not followed', async () => {
    const before = endpoint.received.length;
    const sent = plugin.send(shipmentMessage(), business({ url: endpoint.url('/moved') }));
    await expect(sent).rejects.toBeInstanceOf(PermanentDispatchError);
    await expect(sent).rejects.toThrow('answered HTTP 302');
    expect(endpoint.received.slice(before).map((r) => r.path)).toEqual(['/moved']);
  });

  test('settings that no longer validate fail for good without a request', async () => {
    const before = endpoint.received.length;
    await expect(plugin.send(shipmentMessage(), business({ url: 'ftp://kettles.test/' }))).rejects.toBeInstanceOf(PermanentDispatchError);
    await expect(plugin.send(shipmentMessage(), business({ url: endpoint.url('/x') }, { secret: '' }))).rejects.toThrow(/no secret/);
    expect(endpoint.received.length).toBe(before);
  });
});

describe('webhook dispatcher: settings', () => {
  test('url is required and must be an http or https URL', () => {
    expect(plugin.validateSettings({ url: 'https://kettles.test/hooks/shipments' })).toEqual([]);
    expect(plugin.validateSettings({ url: 'http://127.0.0.1:8080/x?token=1' })).toEqual([]);
    for (const url of [
      undefined,
      42,
      '',
      'kettles.test/hooks',
      'ftp://kettles.test/',
      'javascript:alert(1)',
      'http://kettles.test/a b',
      'http://kettles\u0000.test/',
    ])
      expect(plugin.validateSettings(url === undefined ? {} : { url })).toEqual([{ field: 'url', message: expect.any(String) }]);
  });

  test('timeoutMs is optional, a whole number from 100 to 30000', () => {
    expect(plugin.validateSettings({ url: 'https://kettles.test/', timeoutMs: 100 })).toEqual([]);
    expect(plugin.validateSettings({ url: 'https://kettles.test/', timeoutMs: 30_000 })).toEqual([]);
    for (const timeoutMs of [99, 30_001, 1.5, '5000', null, Infinity, 1e308])
      expect(plugin.validateSettings({ url: 'https://kettles.test/', timeoutMs })).toEqual([{ field: 'timeoutMs', message: expect.any(String) }]);
  });

  test('an unknown setting key is a problem naming that key', () => {
    expect(plugin.validateSettings({ url: 'https://kettles.test/', timeout: 5000 })).toEqual([
      { field: 'timeout', message: expect.stringContaining('"timeout"') },
    ]);
  });
});
