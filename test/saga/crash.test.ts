// The service SIGKILLed with orders in flight, then started again (the README's
// command, as a child process, with its own redis-server child left orphaned by
// the kill): every order ends its payment saga (paid, then FULFILLING with its
// process waiting for its shipments; or a failure with its process ended) and the
// stock invariants hold.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { loadConfig, DEV_API_KEY } from '../../infra/config.js';
import { openDatabase } from '../../infra/database.js';
import { databaseKind } from '../support/database.js';
import { waitFor, sleep } from '../support/wait.js';
import { FINAL, PAID_PATH, sagaEnvironment, waitsForShipments, type OrderView } from './support.js';
import { isRunning, killRedisServers } from '../support/processes.js';
import { listeningUrl, startService } from '../support/service-process.js';

// The redis-servers seen, so that a failing run does not leave one behind.
const redisPids = new Set<number>();
afterAll(() => killRedisServers(redisPids));

/** Fails naming the process and the moment when it is not in the state expected. */
function expectProcess(what: string, pid: number, expected: 'running' | 'gone'): void {
  expect({ [`${what} (pid ${pid})`]: isRunning(pid) ? 'running' : 'gone' }).toEqual({ [`${what} (pid ${pid})`]: expected });
}

/** The pid the private redis-server wrote to <DATA_DIR>/redis/redis-server.pid (it deletes the file when it stops). */
function privateRedisPid(dataDir: string, when: string): number {
  const pidFile = path.join(dataDir, 'redis', 'redis-server.pid');
  expect({ [when]: existsSync(pidFile) }).toEqual({ [when]: true });
  const text = readFileSync(pidFile, 'utf8').trim();
  expect({ [when]: text }).toEqual({ [when]: expect.stringMatching(/^[1-9][0-9]*$/) });
  redisPids.add(Number(text));
  return Number(text);
}

async function placeOrder(url: string, i: number): Promise<string> {
  const methods = ['pm_approve', 'pm_decline', 'pm_no_answer', 'pm_fail_2'];
  const res = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `crash-${i}`, authorization: `Bearer ${DEV_API_KEY}` },
    body: JSON.stringify({ customerId: `c${i}`, items: [{ sku: 'SKU-MUG-SET', quantity: 1 + (i % 2) }], paymentMethod: methods[i % methods.length] }),
  });
  if (res.status !== 202) throw new Error(`POST /orders ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

describe(`crash recovery of the whole service (${databaseKind})`, () => {
  test('SIGKILL with orders in flight, restart: every order ends its payment saga (paid orders FULFILLING), stock consistent, nothing sold twice', async () => {
    // No REDIS_URL: the service runs its own redis-server child, which the kill orphans.
    // PAYMENT_TIMEOUT outlasts a restart on a loaded machine (PT2S did not: every approval was
    // overtaken once, and no order was paid); the no-answer orders end at it.
    const { env, cleanup } = await sagaEnvironment({ REDIS_URL: '', PAYMENT_TIMEOUT: 'PT20S', SANDBOX_DELAY_MS: '150', RECOVERY_INTERVAL_MS: '500' });
    try {
      const first = startService({ ...env, LOG_LEVEL: 'info' });
      const url1 = await listeningUrl(first);
      const orphanPid = privateRedisPid(env.DATA_DIR as string, 'redis-server.pid of the first run');
      const ids: string[] = [];
      for (let i = 0; i < 24; i++) ids.push(await placeOrder(url1, i));
      await sleep(100);
      first.child.kill('SIGKILL');
      await first.exited;
      // The kill does not reach the redis-server: it is left running, orphaned.
      expectProcess('orphaned redis-server after the SIGKILL', orphanPid, 'running');

      const second = startService({ ...env, LOG_LEVEL: 'info' });
      const url2 = await listeningUrl(second);
      // The restarted service stopped the orphan before starting a redis-server of its own.
      expectProcess('orphaned redis-server once the restarted service listens', orphanPid, 'gone');
      const redisPid = privateRedisPid(env.DATA_DIR as string, 'redis-server.pid of the restarted service');
      expect(redisPid).not.toBe(orphanPid);
      // A client retrying its last request after the crash gets the same order back.
      expect(await placeOrder(url2, 23)).toBe(ids[23]);
      for (let i = 24; i < 28; i++) ids.push(await placeOrder(url2, i));

      const last = new Map<string, unknown>();
      const finals = await Promise.all(
        ids.map((id) =>
          waitFor(
            `order ${id} to finish`,
            async () => {
              const o = (await (await fetch(`${url2}/orders/${id}`, { headers: { authorization: `Bearer ${DEV_API_KEY}` } })).json()) as OrderView;
              last.set(id, o);
              // Paid: FULFILLING, its process waiting for the shipments; a failure: its process ended.
              const ended = o.status === 'FULFILLING' ? waitsForShipments(o) : o.process?.state === 'COMPLETED';
              return (FINAL as readonly string[]).includes(o.status) && ended ? o : undefined;
            },
            90_000,
          ),
        ),
      ).catch((err: Error) => {
        const stuck = [...last.values()].filter((o) => {
          const v = o as OrderView;
          return v.status === 'FULFILLING' ? !waitsForShipments(v) : v.process?.state !== 'COMPLETED';
        });
        throw new Error(`${err.message}\nunfinished orders: ${JSON.stringify(stuck)}\nlast service output:\n${second.output().slice(-4000)}`, { cause: err });
      });
      expect(finals).toHaveLength(28);
      second.child.kill('SIGTERM');
      await second.exited;
      expect(second.child.exitCode).toBe(0);
      // The stopped service took its redis-server child down with it (and the orphan stays gone).
      expectProcess('redis-server of the restarted service after it stopped', redisPid, 'gone');
      expectProcess('orphaned redis-server after the service stopped', orphanPid, 'gone');

      const config = loadConfig(env);
      const db = await openDatabase(config.database);
      try {
        const orders = await db.prisma.order.findMany({
          include: { items: true, reservations: true, payment: true, notifications: true, history: { orderBy: { id: 'asc' } }, shipments: true },
        });
        expect(orders).toHaveLength(28);
        for (const o of orders) {
          expect(FINAL).toContain(o.status);
          const ordered = o.items.reduce((n, i) => n + i.quantity, 0);
          const sold = o.reservations.filter((r) => r.state === 'COMMITTED').reduce((n, r) => n + r.quantity, 0);
          expect(o.reservations.filter((r) => r.state === 'RESERVED')).toEqual([]);
          if (o.status === 'FULFILLING') {
            // Paid, then split into shipments (one: SKU-MUG-SET has one business), once.
            expect(o.history.map((h) => h.toStatus)).toEqual(PAID_PATH);
            expect(sold).toBe(ordered);
            expect(o.payment?.status).toBe('APPROVED');
            expect(o.shipments).toHaveLength(1);
          } else {
            expect(o.history.map((h) => h.toStatus)).not.toContain('PAID');
            expect(sold).toBe(0);
            expect(o.payment?.status).not.toBe('APPROVED');
            expect(o.shipments).toEqual([]);
          }
          expect(o.notifications).toHaveLength(1);
        }
        const stock = await db.prisma.stock.findMany({ where: { sku: 'SKU-MUG-SET' } });
        const soldTotal = orders
          .flatMap((o) => o.reservations)
          .filter((r) => r.state === 'COMMITTED')
          .reduce((n, r) => n + r.quantity, 0);
        expect(stock.reduce((n, s) => n + s.reserved, 0)).toBe(0);
        expect(stock.reduce((n, s) => n + s.onHand, 0)).toBe(60 + 45 + 50 - soldTotal);
        expect(orders.filter((o) => o.status === 'FULFILLING').length).toBeGreaterThan(0);
      } finally {
        await db.close();
      }
    } finally {
      // A failed run may leave a redis-server behind: afterAll stops it by the pid it wrote.
      const pidFile = path.join(env.DATA_DIR as string, 'redis', 'redis-server.pid');
      if (existsSync(pidFile)) redisPids.add(Number(readFileSync(pidFile, 'utf8').trim()));
      await cleanup();
    }
  }, 240_000);
});
