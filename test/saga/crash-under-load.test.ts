// Crash consistency under load (issue 11, item 4): one service as a child process,
// with its private redis-server, takes orders at 20+ a second from a client that
// mixes every payment outcome and more demand than one SKU has units, while the
// whole service (the node process and its redis-server) is SIGKILLed 10 times at
// random moments and started again on the same data. The client retries a
// placement the crash cut off, after the restart, with the same Idempotency-Key.
// Once the load stops and the orders settle: every order ended its payment saga
// (paid: PAID, then FULFILLING, its process waiting for its shipments, one per
// business; otherwise its process completed) with the status its payment token
// calls for (or REJECTED: out of stock), no incident, no stock left reserved, on
// hand = seeded - sold >= 0 per SKU and warehouse, and one notification per order.
//
// The kill moments come from a seeded generator; the seed is printed, and
// CRASH_LOAD_SEED=<seed> replays the same schedule and order mix.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { loadConfig, DEV_API_KEY } from '../../infra/config.js';
import { openDatabase } from '../../infra/database.js';
import { databaseKind } from '../support/database.js';
import { isRunning, killRedisServers } from '../support/processes.js';
import { listeningUrl, startService, type Started } from '../support/service-process.js';
import { sleep } from '../support/wait.js';
import { FINAL, PAID_PATH, sagaEnvironment, waitsForShipments } from './support.js';

const KILLS = 10;
/** Offered load: new placements per second while the service is up (issue 11: at least 20). */
const OFFERED_PER_SECOND = 20;
/** The service runs this long (seeded, uniform) between a start and the next kill. */
const UPTIME_MS: [number, number] = [1_000, 3_000];
/** After the last restart, the load goes on this long before it stops. */
const TAIL_MS = 3_000;
const MAX_ORDERS = 3_000;
/** Placements the client has open at once; beyond it, due placements wait (and count against the achieved rate). */
const MAX_IN_FLIGHT = 40;
/**
 * PAYMENT_TIMEOUT, counted from placement. An approval must never be overtaken by it,
 * so it must outlast the service's downtime around an order: with kills 1-3 s of
 * uptime apart and restarts of up to 16 s measured on PGlite (its data directory
 * recovers after each SIGKILL), an order can sit through several restarts in a row.
 * A late callback is not waited for: the status check asks the provider every 10 s of
 * uptime. The no-answer orders cancel at the deadline, which bounds the settle time.
 */
const PAYMENT_TIMEOUT_MS = 90_000;
/**
 * pm_no_answer is sent only in the first seconds of service uptime (decided when a placement
 * is first sent, as placements queue behind MAX_IN_FLIGHT): those orders end at their
 * deadline, so one placed at the end of the load would keep the run waiting a whole
 * PAYMENT_TIMEOUT after it. Their timers still live through the later kills.
 */
const NO_ANSWER_FOR_UP_MS = 12_000;
/** After the last placement: the payment timeout, and time for the last cancellations to run. */
const SETTLE_MS = PAYMENT_TIMEOUT_MS + 45_000;

const PLENTY = { sku: 'SKU-KETTLE', perWarehouse: 2_000 };
// More demand than units: some of these orders must be REJECTED, and none may oversell.
const SCARCE = { sku: 'SKU-GRINDER', perWarehouse: 10 };
const WAREHOUSES = ['WH-BER', 'WH-HAM', 'WH-MUC'];
const TOKENS = ['pm_approve', 'pm_decline', 'pm_no_answer', 'pm_fail_2', 'pm_approve_lost_webhook'] as const;
type Token = (typeof TOKENS)[number];
/** What each token may end its payment saga as (paid: PAID, then FULFILLING); REJECTED (out of stock) is possible for all. */
const OUTCOMES: Record<Token, string[]> = {
  pm_approve: ['FULFILLING', 'REJECTED'],
  pm_fail_2: ['FULFILLING', 'REJECTED'],
  // No webhook ever comes: paid through the status check.
  pm_approve_lost_webhook: ['FULFILLING', 'REJECTED'],
  pm_decline: ['PAYMENT_FAILED', 'REJECTED'],
  pm_no_answer: ['CANCELLED', 'REJECTED'],
};
const NOTIFICATION_KIND: Record<string, string> = { FULFILLING: 'confirmed', PAYMENT_FAILED: 'payment-failed', CANCELLED: 'cancelled', REJECTED: 'rejected' };

/** mulberry32: small, seedable, good enough to pick moments and an order mix. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const report = (text: string) => process.stdout.write(`\n[crash-under-load, ${databaseKind}] ${text}\n`);

// redis-servers seen, so that a failing run does not leave one behind.
const redisPids = new Set<number>();
afterAll(() => killRedisServers(redisPids));

function privateRedisPid(dataDir: string): number {
  const text = readFileSync(path.join(dataDir, 'redis', 'redis-server.pid'), 'utf8').trim();
  if (!/^[1-9][0-9]*$/.test(text)) throw new Error(`redis-server.pid holds ${JSON.stringify(text)}`);
  redisPids.add(Number(text));
  return Number(text);
}

type Placement = {
  key: string;
  token: Token;
  items: { sku: string; quantity: number }[];
  id?: string;
  attempts: number;
  /** Statuses other than 202 that are not the service being down: a failure of the test. */
  refused?: string;
};

async function api<T>(url: string, p: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url + p, {
    ...init,
    headers: { authorization: `Bearer ${DEV_API_KEY}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

describe(`crash consistency under load: ${KILLS} SIGKILLs of the whole service (${databaseKind}, private Redis)`, () => {
  test('every order ends as its payment token says, nothing oversold, no incident', async () => {
    const seed = process.env.CRASH_LOAD_SEED ? Number(process.env.CRASH_LOAD_SEED) : Math.floor(Math.random() * 2 ** 31);
    report(`seed ${seed} (replay with CRASH_LOAD_SEED=${seed})`);
    const rnd = random(seed);
    const { env, cleanup } = await sagaEnvironment({
      REDIS_URL: '', // the private redis-server, killed with the service every time
      SANDBOX_DELAY_MS: '100',
      RECOVERY_INTERVAL_MS: '500',
      WORKER_JOB_TIMEOUT_MS: '2000', // jobs locked by a killed process are offered again soon (PostgreSQL)
      PAYMENT_TIMEOUT: `PT${PAYMENT_TIMEOUT_MS / 1000}S`,
      // A callback stalled by a kill is not waited for: the saga asks the provider.
      PAYMENT_STATUS_CHECK_INTERVAL: 'PT10S',
    });
    const dataDir = env.DATA_DIR as string;
    const services: Started[] = [];
    let service: Started | undefined;
    let url: string | undefined;
    const placements: Placement[] = [];
    const pending: Placement[] = []; // waiting for the service to be up again
    const inFlight = new Set<Promise<void>>();
    const downtimes: number[] = [];
    const figures: Record<string, unknown> = { database: databaseKind, seed };
    let stopLoad = false;
    try {
      const start = async () => {
        const s = startService({ ...env, LOG_LEVEL: 'info' });
        services.push(s);
        const u = await listeningUrl(s, 90_000);
        privateRedisPid(dataDir);
        service = s;
        url = u;
        return u;
      };
      await start();
      for (const sku of [PLENTY, SCARCE]) {
        for (const wh of WAREHOUSES) {
          const res = await api(url as string, `/stocks/${sku.sku}/${wh}`, { method: 'PUT', body: JSON.stringify({ onHand: sku.perWarehouse }) });
          expect(res.status).toBe(200);
        }
      }

      /** How long the service has been up while the load ran. */
      let upMs = 0;
      const pickToken = (noAnswer: boolean): Token => {
        const offered = noAnswer ? TOKENS : TOKENS.filter((t) => t !== 'pm_no_answer');
        return offered[Math.floor(rnd() * offered.length)] as Token;
      };
      // One placement attempt; a connection the crash cut (or a service not up) goes back to `pending`.
      const attempt = (p: Placement) => {
        const target = url;
        if (!target) {
          pending.push(p);
          return;
        }
        // A no-answer order is first sent in the first seconds of uptime only (see NO_ANSWER_FOR_UP_MS):
        // placements wait behind MAX_IN_FLIGHT, so one created early may be sent much later.
        if (p.attempts === 0 && p.token === 'pm_no_answer' && upMs >= NO_ANSWER_FOR_UP_MS) p.token = pickToken(false);
        p.attempts++;
        const body = JSON.stringify({ customerId: `load-${seed}`, items: p.items, paymentMethod: p.token });
        const done = fetch(`${target}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': p.key, authorization: `Bearer ${DEV_API_KEY}` },
          body,
          signal: AbortSignal.timeout(30_000),
        })
          .then(async (res) => {
            const text = await res.text();
            if (res.status === 202) {
              const id = (JSON.parse(text) as { id: string }).id;
              if (p.id && p.id !== id) p.refused = `key ${p.key} answered ${id} after ${p.id}`;
              p.id = id;
            } else if (res.status >= 500) {
              // e.g. the database connection went with a crash: retried first after the restart, as a client
              // retries what was cut off before it sends anything new (a no-answer order's deadline runs from placement)
              pending.unshift(p);
            } else {
              p.refused = `POST /orders answered ${res.status}: ${text}`;
            }
          })
          .catch(() => {
            pending.unshift(p); // connection refused or reset: the service is down
          });
        inFlight.add(done);
        void done.finally(() => inFlight.delete(done));
      };
      const newPlacement = (): Placement => {
        const n = placements.length;
        const token = pickToken(upMs < NO_ANSWER_FOR_UP_MS);
        const r = rnd();
        const scarce = { sku: SCARCE.sku, quantity: 1 + Math.floor(rnd() * 3) };
        const plenty = { sku: PLENTY.sku, quantity: 1 + Math.floor(rnd() * 2) };
        // 70 % the plentiful SKU, 20 % the scarce one, 10 % both (all lines or none).
        const items = r < 0.7 ? [plenty] : r < 0.9 ? [scarce] : [plenty, scarce];
        const p: Placement = { key: `load-${seed}-${n}`, token, items, attempts: 0 };
        placements.push(p);
        return p;
      };

      // The client: OFFERED_PER_SECOND new placements per second of service uptime (a client cannot
      // place orders with a service that is down: those due then would only pile up as a burst), plus
      // the retries of placements a kill cut off, at most MAX_IN_FLIGHT at once.
      const loadStarted = Date.now();
      const client = (async () => {
        let tick = Date.now();
        while (!stopLoad && placements.length < MAX_ORDERS) {
          const now = Date.now();
          if (url) upMs += now - tick;
          tick = now;
          const due = Math.floor((upMs / 1000) * OFFERED_PER_SECOND) + 1;
          while (placements.length < Math.min(due, MAX_ORDERS)) pending.push(newPlacement());
          while (url && pending.length > 0 && inFlight.size < MAX_IN_FLIGHT) attempt(pending.shift() as Placement);
          await sleep(10);
        }
      })();

      // The crasher: KILLS times, after a seeded uptime, the node process and its redis-server go down together.
      const killAt: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        await sleep(UPTIME_MS[0] + rnd() * (UPTIME_MS[1] - UPTIME_MS[0]));
        const victim = service as Started;
        const redisPid = privateRedisPid(dataDir);
        url = undefined;
        killAt.push(Date.now() - loadStarted);
        Object.assign(figures, { killAtMs: killAt, restartMs: downtimes, placedByNow: placements.filter((p) => p.id).length });
        process.kill(redisPid, 'SIGKILL');
        victim.child.kill('SIGKILL');
        await victim.exited;
        expect(victim.child.signalCode).toBe('SIGKILL');
        const downSince = Date.now();
        await start();
        downtimes.push(Date.now() - downSince);
      }
      await sleep(TAIL_MS);
      stopLoad = true;
      await client;
      // Placements still cut off are retried until each has its answer.
      const retryDeadline = Date.now() + 120_000;
      while (pending.length > 0 || inFlight.size > 0) {
        if (Date.now() > retryDeadline) throw new Error(`${pending.length + inFlight.size} placements without an answer after 120 s`);
        while (pending.length > 0 && inFlight.size < MAX_IN_FLIGHT) attempt(pending.shift() as Placement);
        await Promise.race([...inFlight]);
      }
      const loadEnded = Date.now();
      const loadSeconds = (loadEnded - loadStarted) / 1000;
      const refused = placements.filter((p) => p.refused).map((p) => p.refused);
      expect(refused).toEqual([]);
      const ids = new Set(placements.map((p) => p.id));
      expect(ids.size).toBe(placements.length); // one order per key, none lost
      Object.assign(figures, {
        ordersAccepted: placements.length,
        retriedPlacements: placements.filter((p) => p.attempts > 1).length,
        loadSeconds,
        serviceUpSeconds: upMs / 1000,
        offeredPerUpSecond: OFFERED_PER_SECOND,
        acceptedPerUpSecond: Number((placements.length / (upMs / 1000)).toFixed(1)),
        acceptedPerWallSecond: Number((placements.length / loadSeconds).toFixed(1)),
        kills: killAt.length,
        killAtMs: killAt,
        restartMs: downtimes,
      });

      // Settle: nothing left NEW or AWAITING_PAYMENT, then every payment saga ended (paid: waiting for the shipments).
      const live = url as string;
      const settleDeadline = loadEnded + SETTLE_MS;
      let open = -1;
      while (Date.now() < settleDeadline) {
        open = 0;
        for (const status of ['NEW', 'AWAITING_PAYMENT']) {
          open += (await api<{ orders: unknown[] }>(live, `/orders?status=${status}&limit=100`)).body.orders.length;
        }
        if (open === 0) break;
        await sleep(500);
      }
      type View = { id: string; status: string; process: { state: string; currentSteps: { elementId: string }[] } | null };
      const unfinished = async () => {
        const out: View[] = [];
        for (const p of placements) {
          const { body } = await api<View>(live, `/orders/${p.id}`);
          const ended = body.status === 'FULFILLING' ? waitsForShipments(body) : body.process?.state === 'COMPLETED';
          if (!(FINAL as readonly string[]).includes(body.status) || !ended) out.push(body);
        }
        return out;
      };
      let stuck = await unfinished();
      while (stuck.length > 0 && Date.now() < settleDeadline) {
        await sleep(1_000);
        stuck = await unfinished();
      }
      figures.settleSeconds = (Date.now() - loadEnded) / 1000;
      const { body: incidentList } = await api<{ incidents: unknown[] }>(live, '/ops/api/incidents');
      if (stuck.length > 0 || incidentList.incidents.length > 0) {
        report(
          `unfinished ${JSON.stringify(stuck.slice(0, 5))}\nincidents ${JSON.stringify(incidentList.incidents.slice(0, 5))}\nlast service output:\n${service?.output().slice(-4000)}`,
        );
      }
      expect({ nonFinalAfterSettle: stuck.length }).toEqual({ nonFinalAfterSettle: 0 });
      expect(incidentList.incidents).toEqual([]);

      const last = service as Started;
      last.child.kill('SIGTERM');
      await last.exited;
      expect(last.child.exitCode).toBe(0);

      const db = await openDatabase(loadConfig(env).database);
      try {
        const orders = await db.prisma.order.findMany({
          include: { items: true, reservations: true, payment: true, notifications: true, history: { orderBy: { id: 'asc' } }, shipments: true },
        });
        const businessOf = new Map((await db.prisma.product.findMany({ select: { sku: true, businessId: true } })).map((p) => [p.sku, p.businessId]));
        expect(orders).toHaveLength(placements.length);
        const byId = new Map(orders.map((o) => [o.id, o]));
        const byStatus: Record<string, number> = {};
        const mismatches: string[] = [];
        for (const p of placements) {
          const o = byId.get(p.id as string);
          if (!o) {
            mismatches.push(`${p.key}: order ${p.id} not in the database`);
            continue;
          }
          byStatus[o.status] = (byStatus[o.status] ?? 0) + 1;
          const problems: string[] = [];
          if (!OUTCOMES[p.token].includes(o.status)) problems.push(`status ${o.status} for ${p.token}`);
          if (o.reservations.some((r) => r.state === 'RESERVED')) problems.push('stock left RESERVED');
          const ordered = o.items.reduce((n, i) => n + i.quantity, 0);
          const sold = o.reservations.filter((r) => r.state === 'COMMITTED').reduce((n, r) => n + r.quantity, 0);
          const paid = o.status === 'FULFILLING';
          if (sold !== (paid ? ordered : 0)) problems.push(`${sold} of ${ordered} units sold`);
          if ((o.payment?.status === 'APPROVED') !== paid) problems.push(`payment ${o.payment?.status ?? 'none'}`);
          // Paid: one shipment per business its lines come from, made once; unpaid: none.
          const businesses = new Set(o.items.map((i) => businessOf.get(i.sku))).size;
          if (o.shipments.length !== (paid ? businesses : 0)) problems.push(`${o.shipments.length} shipments`);
          const kinds = o.notifications.map((n) => n.kind);
          if (kinds.length !== 1 || kinds[0] !== NOTIFICATION_KIND[o.status]) problems.push(`notifications ${JSON.stringify(kinds)}`);
          const statuses = o.history.map((h) => h.toStatus);
          if (new Set(statuses).size !== statuses.length) problems.push(`history ${statuses.join('→')}`);
          if (paid && statuses.join('→') !== PAID_PATH.join('→')) problems.push(`history ${statuses.join('→')}`);
          if (problems.length > 0)
            mismatches.push(
              `${p.key} (order ${o.id}, ${p.token}): ${problems.join('; ')}; history ${o.history.map((h) => `${h.toStatus} (${h.reason})`).join(' → ')}`,
            );
        }
        figures.byStatus = byStatus;
        figures.byToken = Object.fromEntries(TOKENS.map((t) => [t, placements.filter((p) => p.token === t).length]));
        expect(mismatches).toEqual([]);

        const incidents = await db.prisma.engineIncident.count({ where: { state: 'ACTIVE' } });
        expect({ openIncidents: incidents }).toEqual({ openIncidents: 0 });

        // Stock: per SKU and warehouse, nothing reserved, on hand = seeded - sold, never negative.
        const stockFigures: Record<string, unknown> = {};
        for (const { sku, perWarehouse } of [PLENTY, SCARCE]) {
          const rows = await db.prisma.stock.findMany({ where: { sku }, orderBy: { warehouseId: 'asc' } });
          let soldTotal = 0;
          for (const row of rows) {
            const sold = orders
              .flatMap((o) => o.reservations)
              .filter((r) => r.sku === sku && r.warehouseId === row.warehouseId && r.state === 'COMMITTED')
              .reduce((n, r) => n + r.quantity, 0);
            soldTotal += sold;
            expect({ sku, warehouse: row.warehouseId, onHand: row.onHand, reserved: row.reserved }).toEqual({
              sku,
              warehouse: row.warehouseId,
              onHand: perWarehouse - sold,
              reserved: 0,
            });
            expect(row.onHand).toBeGreaterThanOrEqual(0);
          }
          const demand = placements
            .flatMap((p) => p.items)
            .filter((i) => i.sku === sku)
            .reduce((n, i) => n + i.quantity, 0);
          stockFigures[sku] = { seeded: perWarehouse * rows.length, demand, sold: soldTotal, oversold: Math.max(0, soldTotal - perWarehouse * rows.length) };
          expect(soldTotal).toBeLessThanOrEqual(perWarehouse * rows.length);
        }
        figures.stock = stockFigures;
        // The scarce SKU did run out (the oversell check meant something) and every outcome happened.
        expect(Object.keys(byStatus).sort()).toEqual(['CANCELLED', 'FULFILLING', 'PAYMENT_FAILED', 'REJECTED']);
        expect((stockFigures[SCARCE.sku] as { demand: number }).demand).toBeGreaterThan(SCARCE.perWarehouse * WAREHOUSES.length);
      } finally {
        await db.close();
      }
    } finally {
      stopLoad = true;
      for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
      await Promise.all(services.map((s) => s.exited));
      // A failed run may leave a redis-server behind: stop it before its directory goes.
      if (existsSync(path.join(dataDir, 'redis', 'redis-server.pid'))) {
        try {
          const pid = privateRedisPid(dataDir);
          if (isRunning(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('redis-server')) process.kill(pid, 'SIGKILL');
        } catch {
          // unreadable or gone: nothing to stop
        }
      }
      report(`figures: ${JSON.stringify(figures)}`);
      // Every run's service output, for the post-mortem of a failure.
      mkdirSync('test-artifacts', { recursive: true });
      writeFileSync(`test-artifacts/crash-under-load-${databaseKind}.log`, services.map((s, i) => `=== service run ${i + 1} ===\n${s.output()}`).join('\n'));
      await cleanup();
    }
  }, 480_000);
});
