// Shared by the dispatcher tests: a shipment message, a business, and the two outside
// systems a test cannot reach, played locally: a business's HTTP endpoint (node:http)
// and a mail provider (smtp-server).
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { DispatchTarget, ShipmentMessage } from '../../domain/shipments/dispatcher.js';

export function shipmentMessage(over: Partial<ShipmentMessage> = {}): ShipmentMessage {
  return {
    kind: 'dispatch',
    shipmentId: '6f1c2d3e-0000-4000-8000-00000000a001',
    orderId: '0b7e9c1a-0000-4000-8000-00000000b002',
    lines: [
      { sku: 'SKU-KETTLE', name: 'Kettle', quantity: 2 },
      { sku: 'SKU-SCALE', name: 'Kitchen scale', quantity: 1 },
    ],
    amountMinor: 1250,
    currency: 'EUR',
    eventsUrl: 'https://shop.test/shipments/events',
    answerLinks: {
      accept: 'https://shop.test/shipments/6f1c2d3e-0000-4000-8000-00000000a001/answer?choice=accept&sig=acc0123456789abcdef',
      decline: 'https://shop.test/shipments/6f1c2d3e-0000-4000-8000-00000000a001/answer?choice=decline&sig=dec0123456789abcdef',
    },
    ...over,
  };
}

export function business(settings: Record<string, unknown>, over: Partial<DispatchTarget> = {}): DispatchTarget {
  return { id: 'biz-kettles', name: 'Kettles & Co', contactEmail: 'orders@kettles.test', secret: 'whsec_kettles_0123456789', settings, ...over };
}

export type Received = { method: string; path: string; headers: IncomingHttpHeaders; body: string };

/**
 * A business's endpoint: records every request whole, and answers as `answer` says for its
 * path (default 200). An answer of 'hang' never comes: the test's timeout must end it.
 */
export async function businessEndpoint(answer: (path: string) => number | 'hang' = () => 200) {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = answer(path);
      if (status === 'hang') return void hanging.push(res);
      res.writeHead(status, status >= 300 && status < 400 ? { location: 'http://127.0.0.1:1/elsewhere' } : {}).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Mail = { from: string; to: string[]; raw: string };

/** A mail provider: records every mail it accepts; `options` may refuse some (onRcptTo, onData). */
export async function mailProvider(options: Partial<SMTPServerOptions> = {}) {
  const received: Mail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
    ...options,
  });
  smtp.listen(0, '127.0.0.1');
  await once(smtp.server, 'listening');
  const { port } = smtp.server.address() as AddressInfo;
  return { received, smtpUrl: `smtp://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => smtp.close(() => resolve())) };
}

/** A mail's text body as a person reads it: quoted-printable undone (long lines such as the links are folded). */
export function mailText(raw: string): string {
  const body = raw.slice(raw.search(/\r?\n\r?\n/));
  if (!/^Content-Transfer-Encoding: quoted-printable\r?$/im.test(raw)) return body;
  return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A port nothing listens on: a connection to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One header of a raw mail, unfolded (long headers such as the Subject are folded over lines). */
export function mailHeader(raw: string, name: string): string | undefined {
  const head = raw.slice(0, raw.search(/\r?\n\r?\n/)).replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}
