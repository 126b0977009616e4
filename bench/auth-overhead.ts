// What authentication costs per request: GET /orders/{id} on the real app (PGlite in memory,
// or TEST_DATABASE_URL's PostgreSQL), called by the development key (a constant-time compare:
// the reference), an API key from the database (one indexed read), and customer tokens
// (HS256; RS256 against a JWKS served over HTTP, its keys cached after the first fetch).
// Prints requests/s and the ratio to the reference, measured in the same run, alternating.
//   npm run bench:auth   (BENCH_REQUESTS=2000 BENCH_CONCURRENCY=8 BENCH_ROUNDS=3)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createApiKey } from '../domain/access/api-keys.js';
import { DEV_API_KEY } from '../infra/config.js';
import { startEveryRouteApp } from '../test/support/every-route-app.js';
import { addOrder } from '../test/support/fixtures.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECRET = 'bench-customer-token-secret-0123456789abcdef';
const ISSUER = 'https://id.bench.example/';
const AUDIENCE = 'order-saga';

const rsa = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'bench', alg: 'RS256' };
const jwks = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;

const app = await startEveryRouteApp({ auth: { devApiKey: DEV_API_KEY, customerTokens: { secret: SECRET, jwksUrl, issuer: ISSUER, audience: AUDIENCE } } });
const orderId = await addOrder(app.db.prisma, [{ sku: 'SKU-KETTLE', quantity: 1 }], 'bench-customer');
const token = (alg: 'HS256' | 'RS256') =>
  new SignJWT({})
    .setProtectedHeader(alg === 'HS256' ? { alg } : { alg, kid: 'bench' })
    .setSubject('bench-customer')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setExpirationTime('1h')
    .sign(alg === 'HS256' ? new TextEncoder().encode(SECRET) : rsa.privateKey);

const credentials: [string, string][] = [
  ['development key (reference)', DEV_API_KEY],
  ['API key (database)', (await createApiKey(app.db.prisma, { name: 'bench', scopes: ['orders:read'] })).token],
  ['customer token HS256', await token('HS256')],
  ['customer token RS256 (JWKS)', await token('RS256')],
];

async function run(credential: string, requests: number): Promise<number> {
  const url = `${app.baseUrl}/orders/${orderId}`;
  const headers = { authorization: `Bearer ${credential}` };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < requests) {
        const res = await fetch(url, { headers });
        if (res.status !== 200) throw new Error(`GET /orders/{id} answered ${res.status}`);
        await res.arrayBuffer();
      }
    }),
  );
  return requests / ((performance.now() - started) / 1000);
}

try {
  for (const [, c] of credentials) await run(c, 200); // warm-up: JIT, prepared statements, the JWKS fetch
  const results = new Map<string, number[]>(credentials.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) for (const [name, c] of credentials) results.get(name)!.push(await run(c, REQUESTS));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const reference = median(results.get(credentials[0]![0])!);
  console.log(`GET /orders/{id}, ${REQUESTS} requests × ${ROUNDS} rounds, ${CONCURRENCY} clients, ${app.db.kind}`);
  for (const [name, xs] of results) {
    const m = median(xs);
    console.log(
      `${name.padEnd(30)} ${xs.map((x) => x.toFixed(0)).join(', ')} req/s (median ${m.toFixed(0)}), ratio to reference ${(m / reference).toFixed(2)}`,
    );
  }
} finally {
  await app.close();
  jwks.close();
}
