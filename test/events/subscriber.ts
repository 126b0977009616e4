// A local webhook subscriber for the events tests: records every delivery (raw body,
// signature, when, what it answered), answers what the test says, and can be taken
// down (connections refused) and brought back on the same port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../domain/payments/signature.js';

export type Delivery = {
  id: string;
  type: string;
  orderId: string;
  raw: string;
  signature: string | undefined;
  receivedAt: number;
  /** What the subscriber answered. */
  status: number;
};

export class Subscriber {
  readonly received: Delivery[] = [];
  /** The status to answer a delivery with (default 200). */
  answer: (d: Omit<Delivery, 'status'>) => number = () => 200;
  private server: Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook?token=abc`;
  }

  async up(): Promise<void> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const body = JSON.parse(raw) as { id: string; type: string; data: { orderId: string } };
        const d = {
          id: body.id,
          type: body.type,
          orderId: body.data.orderId,
          raw,
          signature: req.headers['order-saga-signature'] as string | undefined,
          receivedAt: Date.now(),
        };
        const status = this.answer(d);
        this.received.push({ ...d, status });
        res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: deliveries meet a refused connection until `up()`. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Deliveries answered 2xx. */
  accepted(): Delivery[] {
    return this.received.filter((d) => d.status >= 200 && d.status < 300);
  }

  /** Every signature checks against `secret`. */
  signaturesValid(secret: string): boolean {
    return this.received.every((d) => verifySignature({ header: d.signature, rawBody: d.raw, secret, toleranceSeconds: 300 }).ok);
  }
}

/**
 * The ordering rule, from the subscriber's side: no delivery of an order's event arrives
 * before every earlier event of that order (in `expected`) was accepted. Returns the violations.
 */
export function orderingViolations(received: Delivery[], expected: Map<string, string[]>): string[] {
  const accepted = new Map<string, Set<string>>();
  const problems: string[] = [];
  for (const d of received) {
    const ids = expected.get(d.orderId) ?? [];
    const earlier = ids.slice(0, ids.indexOf(d.id));
    const done = accepted.get(d.orderId) ?? new Set<string>();
    const missing = earlier.filter((id) => !done.has(id));
    if (missing.length > 0) problems.push(`order ${d.orderId}: ${d.type} (${d.id}) arrived before ${missing.join(', ')} was accepted`);
    if (d.status >= 200 && d.status < 300) accepted.set(d.orderId, done.add(d.id));
  }
  return problems;
}
