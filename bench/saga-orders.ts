/**
 * The clients of `npm run bench:saga`: HTTP calls to the service as a shop's backend makes
 * them (the development API key), and one poller of the event stream (GET /events) that
 * tells each client when its order reached PAID, so that waiting costs the service one
 * request per poll for all orders together instead of one per order.
 */
import { performance } from 'node:perf_hooks';
import { DEV_API_KEY } from '../infra/config.js';
import { sleep } from '../test/support/wait.js';
import { percentile } from './embedded-engine-bench.js';

const AUTH = { authorization: `Bearer ${DEV_API_KEY}` };
/** The event stream's largest page. */
const PAGE = 100;
const FINAL_EVENTS: Record<string, string> = {
  'order.paid': 'PAID',
  'order.rejected': 'REJECTED',
  'order.payment_failed': 'PAYMENT_FAILED',
  'order.cancelled': 'CANCELLED',
};

export async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

type End = { at: number; status: string };

/**
 * Polls GET /events every `pollMs` (at once again while pages come back full) and settles each
 * order's wait with the moment its final event was read.
 */
export class FinalStatusWatcher {
  polls = 0;
  private cursor: string | undefined;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private readonly waiting = new Map<string, { resolve: (end: End) => void; reject: (err: Error) => void }>();
  private readonly early = new Map<string, End>();

  constructor(
    private readonly base: string,
    private readonly pollMs: number,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const query = `/events?limit=${PAGE}${this.cursor ? `&after=${encodeURIComponent(this.cursor)}` : ''}`;
        const { status, body } = await api<{ events: { type: string; data: { orderId: string } }[]; nextCursor: string | null }>(this.base, 'GET', query);
        this.polls++;
        if (status !== 200) throw new Error(`GET /events answered ${status}: ${JSON.stringify(body)}`);
        const at = performance.now();
        for (const event of body.events) {
          const final = FINAL_EVENTS[event.type];
          if (final) this.settle(event.data.orderId, { at, status: final });
        }
        this.cursor = body.nextCursor ?? this.cursor;
        if (body.events.length < PAGE) await sleep(this.pollMs);
      } catch (err) {
        this.failure = err as Error;
        for (const w of this.waiting.values()) w.reject(this.failure);
        this.waiting.clear();
        return;
      }
    }
  }

  private settle(orderId: string, end: End): void {
    const w = this.waiting.get(orderId);
    if (w) {
      this.waiting.delete(orderId);
      w.resolve(end);
    } else {
      this.early.set(orderId, end);
    }
  }

  /** The moment the order's final event was read, and its status. */
  wait(orderId: string, timeoutMs: number): Promise<End> {
    if (this.failure) return Promise.reject(this.failure);
    const early = this.early.get(orderId);
    if (early) {
      this.early.delete(orderId);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(orderId);
        reject(new Error(`order ${orderId} reached no final status within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting.set(orderId, {
        resolve: (end) => {
          clearTimeout(timer);
          resolve(end);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
    });
  }
}

export type OrderRun = {
  requested: number;
  concurrency: number;
  placed: number;
  paid: number;
  /** Orders that ended otherwise (status by order id): none on a healthy service. */
  notPaid: Record<string, string>;
  /** From the first POST to the last PAID read. */
  seconds: number;
  paidPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** The time budget ran out before every requested order was placed. */
  truncated: boolean;
};

export type OrderOptions = {
  base: string;
  watcher: FinalStatusWatcher;
  total: number;
  concurrency: number;
  budgetMs: number;
  sku: string;
  orderTimeoutMs: number;
};

/** `concurrency` clients, each placing one order (one unit, `pm_approve`) and waiting for its final status, then the next. */
export async function runOrders(o: OrderOptions): Promise<OrderRun> {
  const latencies: number[] = [];
  const notPaid: Record<string, string> = {};
  const startedAt = performance.now();
  const deadline = startedAt + o.budgetMs;
  let next = 0;
  let lastEnd = startedAt;
  let failure: unknown;
  const client = async () => {
    while (next < o.total && failure === undefined && performance.now() < deadline) {
      const seq = next++;
      try {
        const placedAt = performance.now();
        const { status, body } = await api<{ id: string }>(o.base, 'POST', '/orders', {
          customerId: `bench-customer-${seq % 100}`,
          items: [{ sku: o.sku, quantity: 1 }],
          paymentMethod: 'pm_approve',
        });
        if (status !== 202) throw new Error(`POST /orders answered ${status}: ${JSON.stringify(body)}`);
        const end = await o.watcher.wait(body.id, o.orderTimeoutMs);
        lastEnd = Math.max(lastEnd, end.at);
        if (end.status === 'PAID') latencies.push(end.at - placedAt);
        else notPaid[body.id] = end.status;
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, o.total)) }, client));
  if (failure !== undefined) throw failure;
  latencies.sort((a, b) => a - b);
  const seconds = (lastEnd - startedAt) / 1000;
  return {
    requested: o.total,
    concurrency: o.concurrency,
    placed: next,
    paid: latencies.length,
    notPaid,
    seconds,
    paidPerSecond: seconds > 0 ? latencies.length / seconds : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    meanMs: latencies.length > 0 ? latencies.reduce((a, b) => a + b, 0) / latencies.length : Number.NaN,
    maxMs: latencies.at(-1) ?? Number.NaN,
    truncated: next < o.total,
  };
}

/** Sets the SKU's units on hand in its first warehouse (PUT /stocks/{sku}/{warehouseId}, catalog:admin). */
export async function stockUp(base: string, sku: string, units: number): Promise<string> {
  const stocks = await api<{ stocks: { warehouseId: string }[] }>(base, 'GET', `/stocks/${sku}`);
  const warehouseId = stocks.body?.stocks?.[0]?.warehouseId;
  if (stocks.status !== 200 || !warehouseId) throw new Error(`GET /stocks/${sku} answered ${stocks.status}: ${JSON.stringify(stocks.body)}`);
  const put = await api(base, 'PUT', `/stocks/${sku}/${warehouseId}`, { onHand: units });
  if (put.status !== 200) throw new Error(`PUT /stocks/${sku}/${warehouseId} answered ${put.status}: ${JSON.stringify(put.body)}`);
  return warehouseId;
}
