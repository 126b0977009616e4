// Shared by the payment tests: an HTTP server on a free loopback port. (Waits come
// from test/support/wait.ts, Redis from test/support/redis.ts.)
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TestServer = { server: Server; url: string; close(): Promise<void> };

/** An HTTP server on 127.0.0.1: on `wanted`, or on a free port (0). */
export async function listen(handler: RequestListener, wanted = 0): Promise<TestServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(wanted, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
