// For reporting a difference found by `npm run test:zeebe`: a pass-through proxy in
// front of the cluster that writes every request the service and the tests send, and
// every answer, as one JSON line each. Point ZEEBE_REST_ADDRESS at it:
//
//   node --import tsx scripts/test-zeebe-recorder.ts http://localhost:8080 8089
//   ZEEBE_REST_ADDRESS=http://127.0.0.1:8089 npm run test:zeebe -- -t 'the failing test'
//
// Lines go to test-artifacts/zeebe-exchanges.jsonl (or TEST_ARTIFACTS_DIR). Headers
// are not recorded, so neither is a token; bodies are, so use test data only.
import { appendFileSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Request headers passed on to the cluster; the rest (host, connection, length) belong to this hop. */
const FORWARDED = ['authorization', 'content-type', 'accept', 'user-agent'];

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** JSON as JSON, anything else (a multipart deployment) as text. */
function readable(raw: Buffer, contentType: string | null | undefined): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

export async function startRecorder(o: { target: string; port?: number; file: string }): Promise<{ url: string; close(): Promise<void> }> {
  mkdirSync(path.dirname(o.file), { recursive: true });
  const target = o.target.replace(/\/+$/, '');
  const server = createServer((req, res) => {
    void (async () => {
      const started = Date.now();
      const raw = await bodyOf(req);
      const headers = Object.fromEntries(FORWARDED.flatMap((h) => (typeof req.headers[h] === 'string' ? [[h, req.headers[h]]] : [])));
      const record: Record<string, unknown> = {
        at: new Date(started).toISOString(),
        method: req.method,
        path: req.url,
        request: readable(raw, req.headers['content-type']),
      };
      try {
        const answer = await fetch(`${target}${req.url ?? ''}`, { method: req.method, headers, ...(raw.length > 0 ? { body: raw } : {}) });
        const body = Buffer.from(await answer.arrayBuffer());
        const contentType = answer.headers.get('content-type');
        Object.assign(record, { status: answer.status, ms: Date.now() - started, response: readable(body, contentType) });
        res.writeHead(answer.status, contentType ? { 'content-type': contentType } : {}).end(body);
      } catch (err) {
        Object.assign(record, { status: 502, ms: Date.now() - started, error: (err as Error).message });
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`recorder: ${target} did not answer: ${(err as Error).message}`);
      }
      appendFileSync(o.file, `${JSON.stringify(record)}\n`);
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [target, port] = process.argv.slice(2);
  if (!target || !/^https?:\/\//.test(target)) {
    console.error('usage: node --import tsx scripts/test-zeebe-recorder.ts <cluster REST address, e.g. http://localhost:8080> [port, default 8089]');
    process.exit(2);
  }
  const file = path.resolve(process.env.TEST_ARTIFACTS_DIR || 'test-artifacts', 'zeebe-exchanges.jsonl');
  const recorder = await startRecorder({ target, port: Number(port ?? 8089), file });
  console.log(`recording what is sent to ${target} into ${file}: set ZEEBE_REST_ADDRESS=${recorder.url} (Ctrl-C stops)`);
}
