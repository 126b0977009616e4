// A local HTTP server standing in for a business's system that takes shipments by webhook (a
// boundary we cannot reach): it answers 200 and records what it received, nothing more.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RecordingBusiness = {
  /** The URL to give the business's webhook dispatcher. */
  url: string;
  /** Each message's `type` (shipment.dispatch, .reminder, .stop) and shipment, in arrival order. */
  received: { type: string; shipmentId: string }[];
  close(): Promise<void>;
};

export async function startRecordingBusiness(): Promise<RecordingBusiness> {
  const received: RecordingBusiness['received'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const m = JSON.parse(body) as { type: string; shipmentId: string };
      received.push({ type: m.type, shipmentId: m.shipmentId });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/shipments`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
