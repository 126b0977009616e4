import type { Tx } from '../../infra/database.js';

export type ListingAction = 'created' | 'changed' | 'taken-off';
export type ListingHistoryView = { actor: string; action: ListingAction; changes: Record<string, unknown>; at: string };

/** Who changed the listing, when, and what (each changed field as {from, to}). */
export async function recordListingChange(tx: Tx, listingId: string, actor: string, action: ListingAction, changes: Record<string, unknown>): Promise<void> {
  await tx.listingHistory.create({ data: { listingId, actor, action, changes: changes as object } });
}
