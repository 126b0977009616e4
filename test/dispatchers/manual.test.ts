// The manual dispatcher, wired through the registry beside a real local HTTP server
// (node:http) and a real SMTP server (smtp-server) standing in for a business and its mail
// provider, the boundaries a test cannot reach: a manual send must reach neither.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { postJson } from '../../integrations/http/post-json.js';
import type { PostJson } from '../../integrations/http/post-json.js';
import { createDispatcherRegistry } from '../../integrations/dispatchers/registry.js';
import { business, businessEndpoint, mailProvider, shipmentMessage } from './support.js';

let endpoint: Awaited<ReturnType<typeof businessEndpoint>>;
let provider: Awaited<ReturnType<typeof mailProvider>>;
const posted: string[] = [];
const countingPost: PostJson = (url, headers, body, timeoutMs) => {
  posted.push(url);
  return postJson(url, headers, body, timeoutMs);
};

beforeAll(async () => {
  endpoint = await businessEndpoint();
  provider = await mailProvider();
});
afterAll(async () => {
  await endpoint?.close();
  await provider?.close();
});

describe('manual dispatcher', () => {
  test('a manual send reaches nobody outside (no HTTP request, no mail) and says it waits for ops', async () => {
    const registry = createDispatcherRegistry({ smtpUrl: provider.smtpUrl, from: 'order-saga <dispatch@shop.test>', postJson: countingPost });
    const manual = registry.get('manual')!;
    // The business has a webhook URL and a mailbox the other plugins would use; manual uses neither.
    const target = business({}, { contactEmail: 'orders@kettles.test' });

    for (const kind of ['dispatch', 'reminder', 'stop'] as const)
      expect(await manual.send(shipmentMessage({ kind }), target)).toEqual({ detail: 'waiting for ops to answer for the business' });
    expect(posted).toEqual([]);
    expect(endpoint.received).toEqual([]);
    expect(provider.received).toEqual([]);

    // The same registry does reach both when another plugin is asked: the counters above can see a send.
    await registry.get('webhook')!.send(shipmentMessage(), business({ url: endpoint.url('/x') }));
    await registry.get('email')!.send(shipmentMessage(), target);
    expect([posted.length, endpoint.received.length, provider.received.length]).toEqual([1, 1, 1]);
  });

  test('manual takes no settings: any key is a problem naming it', () => {
    const manual = createDispatcherRegistry({ from: 'order-saga <dispatch@shop.test>' }).get('manual')!;
    expect(manual.validateSettings({})).toEqual([]);
    expect(manual.validateSettings({ url: 'https://kettles.test/' })).toEqual([{ field: 'url', message: expect.stringContaining('"url"') }]);
  });
});
