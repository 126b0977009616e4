// X-Request-Id (issue 21, item 6): the id of a request is echoed in the answer and
// written on its log line. A client's own id is taken only when it is short and plain
// (/^[A-Za-z0-9._:-]{1,128}$/); anything else, a 15 KB id or one with spaces, is
// replaced by one of ours, so a client cannot fill the log or forge lines in it.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { pino } from 'pino';
import { createApp } from '../../api/app.js';
import { databaseKind, openTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let db: TestDatabase;
let server: Server;
let baseUrl: string;
const logLines: { msg: string; reqId?: string; url?: string }[] = [];
const rawLog: string[] = [];

beforeAll(async () => {
  db = await openTestDatabase();
  const logger = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        rawLog.push(line);
        logLines.push(JSON.parse(line) as { msg: string; reqId?: string });
      },
    },
  );
  const app = createApp({ db, config: { adminToken: 'request-id-admin-token', http: { host: '127.0.0.1', port: 0, bodyLimit: '100kb' } }, logger });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await db?.close();
});

/** GET /health with `id` as X-Request-Id: the id echoed and the one on the request's log line. */
async function roundTrip(id: string): Promise<{ echoed: string | null; logged: string | undefined }> {
  const marker = `/health?probe=${logLines.length}`;
  const res = await fetch(baseUrl + marker, { headers: { 'x-request-id': id } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  // The line is written when the answer has finished, which may be a moment after the client has it.
  const line = await waitFor('the request log line', () => logLines.find((l) => l.msg === 'request' && l.url === marker));
  return { echoed: res.headers.get('x-request-id'), logged: line.reqId };
}

describe(`X-Request-Id (${databaseKind})`, () => {
  test.each([
    ['an id of letters, digits and . _ : -', 'checkout-7f3a.2:retry_1'],
    ['a one-character id', 'a'],
    ['an id of 128 characters', 'A'.repeat(128)],
    ['a UUID', '0b5e2c4e-8d1e-4d0a-9b7e-3f1c2a9d4e10'],
  ])('%s is echoed and logged as is', async (_what, id) => {
    expect(await roundTrip(id)).toEqual({ echoed: id, logged: id });
  });

  test.each([
    ['a 15 KB id', 'x'.repeat(15 * 1024)],
    ['an id of 129 characters', 'A'.repeat(129)],
    ['an id with spaces', 'order 42 paid'],
    ['an id with a tab', 'order\t42'],
    ['a fake log field', '{"level":60,"msg":"forged"}'],
    ['markup', '<script>alert(1)</script>'],
    ['two ids (the header sent twice)', 'one, two'],
  ])('%s is replaced by a new id, echoed and logged in its place', async (_what, id) => {
    const { echoed, logged } = await roundTrip(id);
    expect(echoed).toMatch(UUID);
    expect(logged).toBe(echoed);
    expect(rawLog.some((line) => line.includes(id))).toBe(false);
  });

  test('a newline inside the header never reaches the service: Node answers 400 before any route', async () => {
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\ndef\r\nConnection: close\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(answer).not.toContain('abc');
  });
});
