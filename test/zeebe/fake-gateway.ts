// A stand-in for a Camunda 8 gateway's REST endpoints, just enough to test how our
// workers and the SDK's HTTP client behave when the gateway misbehaves: it
// restarts (connections cut, then refused, then back), pushes back with
// RESOURCE_EXHAUSTED, or accepts a long poll and never answers. It implements no
// engine: jobs are whatever a test offers, other answers whatever a test scripts.
// Every request is checked against Camunda 8.8's REST contract (contract.ts) and
// refused with 400 when it breaks it, as an 8.8 server does; every answer it gives
// is checked too. A real gateway cannot run here (no Docker engine, no Java); the
// same code runs against one in `npm run test:zeebe`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { camunda88Contract, formatViolations, type Camunda88Contract, type Operation } from './contract.js';

export type ActivationMode = 'serve' | 'exhausted' | 'hang';

type Waiter = { type: string; max: number; res: ServerResponse; timer: NodeJS.Timeout };

const problem = (status: number, title: string, detail: string, instance: string) => ({ type: 'about:blank', title, status, detail, instance });

export class FakeGateway {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly jobs = new Map<string, Record<string, unknown>[]>();
  private readonly answers = new Map<string, unknown[]>();
  private readonly refusals = new Map<string, { status: number; title: string; detail: string; times: number }>();
  private waiters: Waiter[] = [];
  port = 0;
  /** Camunda 8.8's REST contract; loaded by start(). */
  contract!: Camunda88Contract;
  /** How activation requests are answered. */
  activationMode: ActivationMode = 'serve';
  /** Answer message publications with 503 RESOURCE_EXHAUSTED. */
  publishExhausted = false;
  readonly requests: { method: string; path: string; at: number; body: unknown; operation?: string }[] = [];
  readonly completed: { jobKey: string; body: unknown }[] = [];
  readonly failed: { jobKey: string; body: unknown }[] = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  activations(): number {
    return this.requests.filter((r) => r.path === '/v2/jobs/activation').length;
  }

  /** Queues the 2xx answer(s) of an operation (by its 8.8 name, e.g. searchJobs). */
  answer(operation: string, ...bodies: unknown[]): this {
    this.answers.set(operation, [...(this.answers.get(operation) ?? []), ...bodies]);
    return this;
  }

  /** Answers the next `times` calls of an operation with this problem (an 8.8 error answer) instead of its 2xx answer. */
  refuse(operation: string, status: number, title: string, detail: string, times = Number.POSITIVE_INFINITY): this {
    this.refusals.set(operation, { status, title, detail, times });
    return this;
  }

  async start(): Promise<void> {
    this.contract ??= await camunda88Contract();
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
      this.json(waiter.res, 200, { jobs: [job] }, 'activateJobs');
      return;
    }
    this.jobs.set(type, [...(this.jobs.get(type) ?? []), job]);
  }

  /** Sends an answer; a 2xx answer of an operation is checked against its 8.8 response schema. */
  private json(res: ServerResponse, status: number, body: unknown, operation?: string): void {
    if (res.writableEnded || res.destroyed) return;
    if (operation && status < 300) this.contract.checkResponse(operation, body);
    res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' });
    res.end(JSON.stringify(body));
  }

  private async rawBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const raw = await this.rawBody(req).catch(() => Buffer.alloc(0));
    const contentType = req.headers['content-type'] ?? null;
    let body: unknown;
    try {
      body = raw.length > 0 && contentType?.startsWith('application/json') ? JSON.parse(raw.toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    const method = req.method ?? '';
    const { op, violations } = await this.contract.checkRequest({ method, url: req.url ?? '', contentType, body: raw });
    this.requests.push({ method, path, at: Date.now(), body, ...(op ? { operation: op.name } : {}) });
    if (!op) return this.json(res, 404, problem(404, 'NOT_FOUND', `no endpoint ${method} ${path} in Camunda 8.8's REST API`, path));
    if (violations.length > 0) return this.json(res, 400, problem(400, 'Bad Request', formatViolations(violations), path));
    switch (op.name) {
      case 'getTopology':
        return this.json(
          res,
          200,
          { brokers: [], clusterSize: 1, partitionsCount: 1, replicationFactor: 1, gatewayVersion: '8.8.0', lastCompletedChangeId: '-1' },
          op.name,
        );
      case 'activateJobs':
        return this.activate(body as { type: string; maxJobsToActivate: number; requestTimeout?: number }, res);
      case 'completeJob':
      case 'failJob':
      case 'throwJobError': {
        const jobKey = /^\/v2\/jobs\/([^/]+)\//.exec(path)![1]!;
        (op.name === 'failJob' ? this.failed : this.completed).push({ jobKey, body });
        res.writeHead(204).end();
        return;
      }
      case 'publishMessage':
        if (this.publishExhausted)
          return this.json(res, 503, problem(503, 'RESOURCE_EXHAUSTED', 'Expected to handle REST request, but the broker is overloaded', path));
    }
    return this.scripted(op, res, path);
  }

  /** The answer a test scripted; else an empty search result, or 204 for an operation that answers nothing. */
  private scripted(op: Operation, res: ServerResponse, path: string): void {
    const refusal = this.refusals.get(op.name);
    if (refusal && refusal.times > 0) {
      refusal.times -= 1;
      return this.json(res, refusal.status, problem(refusal.status, refusal.title, refusal.detail, path));
    }
    const queue = this.answers.get(op.name) ?? [];
    if (queue.length > 0) return this.json(res, 200, queue.shift(), op.name);
    if (op.response?._zod.def.type === 'void') {
      res.writeHead(204).end();
      return;
    }
    if (op.name.startsWith('search')) return this.json(res, 200, { items: [], page: { totalItems: 0 } }, op.name);
    if (op.name === 'publishMessage') return this.json(res, 200, { messageKey: '2251799813685999', tenantId: '<default>' }, op.name);
    this.json(res, 500, problem(500, 'Internal Server Error', `no answer scripted for ${op.name} in the fake gateway`, path));
  }

  private activate(req: { type: string; maxJobsToActivate: number; requestTimeout?: number }, res: ServerResponse): void {
    if (this.activationMode === 'hang') return; // accepted, never answered (a half-open connection)
    if (this.activationMode === 'exhausted') {
      return this.json(res, 503, problem(503, 'RESOURCE_EXHAUSTED', 'Expected to activate jobs, but the partition is overloaded', '/v2/jobs/activation'));
    }
    const ready = this.jobs.get(req.type) ?? [];
    if (ready.length > 0) {
      const taken = ready.splice(0, req.maxJobsToActivate);
      return this.json(res, 200, { jobs: taken }, 'activateJobs');
    }
    // Long polling: answer when a job arrives, or empty after requestTimeout.
    const waiter: Waiter = {
      type: req.type,
      max: req.maxJobsToActivate,
      res,
      timer: setTimeout(
        () => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          this.json(res, 200, { jobs: [] }, 'activateJobs');
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
