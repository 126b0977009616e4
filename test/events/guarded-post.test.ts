// The webhook POST at delivery time (SSRF, DNS rebinding): it connects only to addresses it
// resolved and checked itself, never follows a redirect, and never reuses a connection the
// unguarded POST opened. A local server stands for the private network: it must see nothing.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Resolve, ResolvedAddress } from '../../domain/events/address-rules.js';
import { subscriptionAddressProblem } from '../../domain/events/subscription-url.js';
import { guardedPostJson, postJson } from '../../integrations/http/post-json.js';

let server: Server;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/redirect') res.writeHead(302, { location: '/internal-admin' }).end();
    else res.writeHead(200).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  hits.length = 0;
});

/** A resolver whose answer the test changes, as a DNS server rebinding a name would. */
function switchableResolver(first: ResolvedAddress[]): { resolve: Resolve; answer(a: ResolvedAddress[]): void; asked: string[] } {
  let current = first;
  const asked: string[] = [];
  return {
    resolve: async (hostname) => {
      asked.push(hostname);
      return current;
    },
    answer: (a) => void (current = a),
    asked,
  };
}

const LOOPBACK = [{ address: '127.0.0.1', family: 4 }];
const body = JSON.stringify({ id: 'evt_0', type: 'order.paid' });

describe('webhook POST at delivery time (private networks refused)', () => {
  test('DNS rebinding: a name that resolved to a public address when the subscription was made, and now to 127.0.0.1, is refused and never connected to', async () => {
    const dns = switchableResolver([{ address: '93.184.215.14', family: 4 }]);
    const url = `http://hooks.rebind.test:${port}/hook`;
    expect(await subscriptionAddressProblem(url, { allowPrivate: false, resolve: dns.resolve })).toBeUndefined();
    dns.answer(LOOPBACK);
    const post = guardedPostJson({ allowPrivate: false, resolve: dns.resolve });
    await expect(post(url, {}, body, 2000)).rejects.toThrow(
      `POST http://hooks.rebind.test:${port}/hook failed: address 127.0.0.1 is not allowed: loopback (127.0.0.0/8)`,
    );
    expect(dns.asked).toEqual(['hooks.rebind.test', 'hooks.rebind.test']);
    expect(hits).toEqual([]);
  });

  test('a name with one refused address among public ones is refused', async () => {
    const post = guardedPostJson({ allowPrivate: false, resolve: async () => [{ address: '93.184.215.14', family: 4 }, ...LOOPBACK] });
    await expect(post(`http://mixed.test:${port}/hook`, {}, body, 2000)).rejects.toThrow('address 127.0.0.1 is not allowed');
    expect(hits).toEqual([]);
  });

  test.each([`http://127.0.0.1:PORT/hook`, `http://2130706433:PORT/hook`, `http://[::ffff:127.0.0.1]:PORT/hook`, `http://0.0.0.0:PORT/hook`])(
    'an address written in the URL is refused without a lookup: %s',
    async (pattern) => {
      const post = guardedPostJson({ allowPrivate: false, resolve: () => Promise.reject(new Error('no lookup expected')) });
      await expect(post(pattern.replace('PORT', String(port)), {}, body, 2000)).rejects.toThrow(/failed: address \S+ is not allowed: /);
      expect(hits).toEqual([]);
    },
  );

  test('the connection goes to the address the guard resolved (private networks allowed): a name unknown to DNS reaches the local server', async () => {
    const post = guardedPostJson({ allowPrivate: true, resolve: async () => LOOPBACK });
    expect(await post(`http://subscriber.invalid:${port}/hook`, {}, body, 2000)).toBe(200);
    expect(hits).toEqual(['/hook']);
  });

  test('a redirect is not followed: the 302 is the answer, the Location is never asked', async () => {
    const post = guardedPostJson({ allowPrivate: true, resolve: async () => LOOPBACK });
    expect(await post(`http://subscriber.invalid:${port}/redirect`, {}, body, 2000)).toBe(302);
    expect(hits).toEqual(['/redirect']);
  });

  test('no connection reuse around the check: a kept-alive connection the unguarded POST opened to localhost does not carry a guarded POST', async () => {
    expect(await postJson(`http://localhost:${port}/sandbox-callback`, {}, body, 2000)).toBe(200);
    const post = guardedPostJson({ allowPrivate: false });
    await expect(post(`http://localhost:${port}/hook`, {}, body, 2000)).rejects.toThrow(/address (127\.0\.0\.1|::1) is not allowed: loopback/);
    expect(hits).toEqual(['/sandbox-callback']);
  });
});
