/**
 * What the bench's orders leave in the database (issue 16, item 3 starts from it): rows per
 * order that reached PAID in every table that grows with orders, read once the service has
 * stopped. Tables that hold the catalogue, definitions or settings are left out. A paid order
 * goes on to FULFILLING (its shipments wait for their businesses), so its rows include its
 * shipment's, and its process instances are still active: the audit prune leaves them.
 */
import { pino } from 'pino';
import type { Database } from '../infra/database.js';
import { EmbeddedEngine } from '../orchestrator/embedded/embedded-engine.js';

/** Tables whose rows do not come from orders. */
const NOT_PER_ORDER = new Set([
  '_prisma_migrations',
  'products',
  'listings',
  'listing_history',
  'customers',
  'carts',
  'cart_lines',
  'businesses',
  'warehouses',
  'stock',
  'api_keys',
  'event_subscriptions',
  'engine_process_definitions',
  'engine_decision_requirements',
  'engine_decision_definitions',
  'engine_start_timers',
]);

export type RowsLeft = {
  orders: number;
  /** Orders that reached PAID (their history has it): paid orders are FULFILLING by now. */
  paidOrders: number;
  /** Rows per PAID order, by table (tables with no rows left out). */
  perOrder: Record<string, number>;
  engineAudit: number;
  engineElementInstances: number;
  otherEngineTables: number;
  appTables: number;
  /**
   * The same per PAID order after one audit prune with retention 0 at the end of the leg (docs/engine.md,
   * "Audit retention"): what a PAID order leaves for good once its audit detail is past the retention.
   */
  afterPrune: {
    prunedInstances: number;
    engineAudit: number;
    /** engine_element_stats: the rollup, per version and element, not per order. */
    engineElementStats: number;
    otherEngineTables: number;
    appTables: number;
    perOrder: Record<string, number>;
  };
};

async function countTables(db: Database): Promise<Record<string, number>> {
  const tables = await db.sql.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    if (NOT_PER_ORDER.has(name)) continue;
    const [row] = await db.sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${name.replace(/"/g, '""')}"`);
    counts[name] = Number(row?.n ?? 0);
  }
  return counts;
}

/** Prunes the audit trail of every ended instance (retention 0), as the engine's pruner would once the retention has passed. */
async function pruneAll(db: Database): Promise<number> {
  const engine = new EmbeddedEngine(db, { logger: pino({ level: 'silent' }), runTimers: false, auditRetentionMs: 0 });
  try {
    return (await engine.pruneAudit()).instances;
  } finally {
    await engine.close();
  }
}

export async function rowsLeft(db: Database): Promise<RowsLeft> {
  const counts = await countTables(db);
  const [orders] = await db.sql.query<{ all: string; paid: string }>(
    `SELECT count(*)::text AS all,
            (count(*) FILTER (WHERE EXISTS (SELECT 1 FROM order_history h WHERE h.order_id = o.id AND h.to_status = 'PAID')))::text AS paid
       FROM orders o`,
  );
  const paidOrders = Number(orders?.paid ?? 0);
  const per = (n: number) => (paidOrders > 0 ? n / paidOrders : 0);
  const perTable = (c: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(c)
        .filter(([, n]) => n > 0)
        .map(([name, n]) => [name, per(n)]),
    );
  const perOrder = perTable(counts);
  const sumIn = (c: Record<string, number>, pick: (name: string) => boolean) => per(Object.entries(c).reduce((a, [name, n]) => a + (pick(name) ? n : 0), 0));
  const sumOf = (pick: (name: string) => boolean) => sumIn(counts, pick);
  const prunedInstances = await pruneAll(db);
  const pruned = await countTables(db);
  return {
    orders: Number(orders?.all ?? 0),
    paidOrders,
    perOrder,
    engineAudit: per(counts.engine_audit ?? 0),
    engineElementInstances: per(counts.engine_element_instances ?? 0),
    otherEngineTables: sumOf((n) => n.startsWith('engine_') && n !== 'engine_audit' && n !== 'engine_element_instances'),
    appTables: sumOf((n) => !n.startsWith('engine_')),
    afterPrune: {
      prunedInstances,
      engineAudit: per(pruned.engine_audit ?? 0),
      engineElementStats: pruned.engine_element_stats ?? 0,
      otherEngineTables: sumIn(pruned, (n) => n.startsWith('engine_') && n !== 'engine_audit' && n !== 'engine_element_stats'),
      appTables: sumIn(pruned, (n) => !n.startsWith('engine_')),
      perOrder: perTable(pruned),
    },
  };
}
