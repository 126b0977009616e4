// The shelf side of stock: units an order took from its listings' shelf counts go back
// when its reservation is released or its sold units restocked. The caller holds the order
// lock and has moved the reservations, so each unit goes back once.
import type { Tx } from '../../infra/database.js';

/** Locks, in id order, the listings of the order's lines for these SKUs (all when null), before any stock row. */
export async function lockShelvesOf(tx: Tx, orderId: string, skus: string[] | null): Promise<void> {
  await tx.$queryRaw`
    SELECT l.id FROM listings l
     WHERE l.id IN (SELECT i.listing_id FROM order_items i
                     WHERE i.order_id = ${orderId}::uuid AND (${skus}::text[] IS NULL OR i.sku = ANY(${skus}::text[])))
     ORDER BY l.id FOR UPDATE`;
}

/** Gives the shelves back the units of `moved` reservation lines. */
export async function returnToShelves(tx: Tx, orderId: string, moved: { sku: string; quantity: number }[]): Promise<void> {
  await tx.$executeRaw`
    UPDATE listings l SET shelf_taken = l.shelf_taken - x.quantity, updated_at = now()
      FROM (SELECT i.listing_id, sum(m.quantity)::int AS quantity
              FROM unnest(${moved.map((m) => m.sku)}::text[], ${moved.map((m) => m.quantity)}::int[]) AS m(sku, quantity)
              JOIN order_items i ON i.order_id = ${orderId}::uuid AND i.sku = m.sku
             WHERE i.listing_id IS NOT NULL GROUP BY 1) x
     WHERE l.id = x.listing_id`;
}
