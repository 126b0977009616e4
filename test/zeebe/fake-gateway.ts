// A stand-in for a Camunda 8 gateway's REST endpoints, just enough to test how our
// workers and the SDK's HTTP client behave when the gateway misbehaves: it
// restarts (connections cut, then refused, then back), pushes back with
// RESOURCE_EXHAUSTED, or accepts a long poll and never answers. It implements no
// engine: jobs are whatever a test offers. A real gateway cannot run here (no
// Docker engine, no Java); the same code runs against one in `npm run test:zeebe`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ActivationMode = 'serve' | 'exhausted' | 'hang';

type Waiter = { type: string; max: number; res: ServerResponse; timer: NodeJS.Timeout };

export class FakeGateway {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly jobs = new Map<string, Record<string, unknown>[]>();
  private waiters: Waiter[] = [];
  port = 0;
  /** How activation requests are answered. */
  activationMode: ActivationMode = 'serve';
  /** Answer message publications with 503 RESOURCE_EXHAUSTED. */
  publishExhausted = false;
  readonly requests: { method: string; path: string; at: number; body: unknown }[] = [];
  readonly completed: { jobKey: string; body: unknown }[] = [];
  readonly failed: { jobKey: string; body: unknown }[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  activations(): number {
    return this.requests.filter((r) => r.path === '/v2/jobs/activation').length;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Like a gateway process dying: every open connection is cut, new ones are refused. */
  async stop(): Promise<void> {
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters = [];
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  /** A job of `type`, handed to a waiting long poll at once or to the next activation. */
  offer(type: string, job: Record<string, unknown>): void {
    const waiter = this.waiters.find((w) => w.type === type);
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      clearTimeout(waiter.timer);
      this.json(waiter.res, 200, { jobs: [job] });
      return;
    }
    this.jobs.set(type, [...(this.jobs.get(type) ?? []), job]);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async body(req: IncomingMessage): Promise<unknown> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    return raw ? JSON.parse(raw) : undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const body = await this.body(req).catch(() => undefined);
    this.requests.push({ method: req.method ?? '', path, at: Date.now(), body });
    if (req.method === 'GET' && path === '/v2/topology')
      return this.json(res, 200, { brokers: [], clusterSize: 1, partitionsCount: 1, replicationFactor: 1, gatewayVersion: '8.8.0' });
    if (req.method === 'POST' && path === '/v2/jobs/activation')
      return this.activate(body as { type: string; maxJobsToActivate: number; requestTimeout?: number }, res);
    const jobAction = /^\/v2\/jobs\/(\d+)\/(completion|failure|error)$/.exec(path);
    if (req.method === 'POST' && jobAction) {
      (jobAction[2] === 'failure' ? this.failed : this.completed).push({ jobKey: jobAction[1]!, body });
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && path === '/v2/messages/publication') {
      if (this.publishExhausted)
        return this.json(res, 503, {
          type: 'about:blank',
          title: 'RESOURCE_EXHAUSTED',
          status: 503,
          detail: 'Expected to handle REST request, but the broker is overloaded',
          instance: path,
        });
      return this.json(res, 200, { messageKey: '2251799813685999', tenantId: '<default>' });
    }
    this.json(res, 404, { type: 'about:blank', title: 'NOT_FOUND', status: 404, detail: `no route ${req.method} ${path} in the fake gateway`, instance: path });
  }

  private activate(req: { type: string; maxJobsToActivate: number; requestTimeout?: number }, res: ServerResponse): void {
    if (this.activationMode === 'hang') return; // accepted, never answered (a half-open connection)
    if (this.activationMode === 'exhausted') {
      return this.json(res, 503, {
        type: 'about:blank',
        title: 'RESOURCE_EXHAUSTED',
        status: 503,
        detail: 'Expected to activate jobs, but the partition is overloaded',
        instance: '/v2/jobs/activation',
      });
    }
    const ready = this.jobs.get(req.type) ?? [];
    if (ready.length > 0) {
      const taken = ready.splice(0, req.maxJobsToActivate);
      return this.json(res, 200, { jobs: taken });
    }
    // Long polling: answer when a job arrives, or empty after requestTimeout.
    const waiter: Waiter = {
      type: req.type,
      max: req.maxJobsToActivate,
      res,
      timer: setTimeout(
        () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          this.json(res, 200, { jobs: [] });
        },
        Math.max(1, req.requestTimeout ?? 10_000),
      ),
    };
    this.waiters.push(waiter);
    res.on('close', () => {
      clearTimeout(waiter.timer);
      this.waiters = this.waiters.filter((w) => w !== waiter);
    });
  }
}
