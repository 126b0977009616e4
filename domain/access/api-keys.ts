// API keys: created with scopes (a business's key with business scopes only), shown once,
// kept as the SHA-256 of the token, found by the id the token carries, revoked for good.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { PrismaClient } from '../../infra/database.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import { decodeTimeIdCursor, encodeTimeIdCursor, NEWEST_FIRST, newestFirstAfter, pageOf, pageRequest, type PageQuery } from '../paging.js';
import type { KeyPrincipal } from './principal.js';
import { BUSINESS_SCOPES, isScope, type Scope } from './scopes.js';

/** osk_<the key's id, 32 hex digits>_<43 base64url characters: 256 random bits>. */
const TOKEN = /^osk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export type NewApiKey = { name: string; scopes: string[]; businessId?: string | undefined; expiresAt?: Date | undefined };

export type ApiKeyView = {
  id: string;
  name: string;
  scopes: string[];
  businessId: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
};

type ApiKeyRow = { id: string; name: string; scopes: string[]; businessId: string | null; createdAt: Date; expiresAt: Date | null; revokedAt: Date | null };

const view = (k: ApiKeyRow): ApiKeyView => ({
  id: k.id,
  name: k.name,
  scopes: k.scopes,
  businessId: k.businessId,
  createdAt: k.createdAt.toISOString(),
  expiresAt: k.expiresAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

/** What is wrong with a new key's scopes and expiry, by field. */
function problems(k: NewApiKey, now: Date): { field: string; message: string }[] {
  const found: { field: string; message: string }[] = [];
  k.scopes.forEach((s, i) => {
    if (!isScope(s)) found.push({ field: `scopes[${i}]`, message: `is not a scope (see GET /openapi.json, or docs/security.md)` });
    else if (k.businessId !== undefined && !BUSINESS_SCOPES.includes(s)) {
      found.push({ field: `scopes[${i}]`, message: `a business's key may hold only ${BUSINESS_SCOPES.join(', ')}` });
    }
  });
  if (new Set(k.scopes).size !== k.scopes.length) found.push({ field: 'scopes', message: 'must not repeat a scope' });
  if (k.expiresAt !== undefined && k.expiresAt.getTime() <= now.getTime()) found.push({ field: 'expiresAt', message: 'must be in the future' });
  return found;
}

/** Creates a key; the answer's `token` is the only time the secret exists outside the caller's hands. */
export async function createApiKey(prisma: PrismaClient, k: NewApiKey, now = new Date()): Promise<ApiKeyView & { token: string }> {
  const errors = problems(k, now);
  if (k.businessId !== undefined && (await prisma.business.count({ where: { id: k.businessId } })) === 0) {
    errors.push({ field: 'businessId', message: 'is not a business (see GET /businesses)' });
  }
  if (errors.length > 0) throw new InvalidInputError(errors);
  const id = randomUUID();
  const token = `osk_${id.replaceAll('-', '')}_${randomBytes(32).toString('base64url')}`;
  const row = await prisma.apiKey.create({
    data: { id, name: k.name, tokenHash: sha256(token).toString('hex'), scopes: k.scopes, businessId: k.businessId ?? null, expiresAt: k.expiresAt ?? null },
  });
  return { ...view(row), token };
}

/** Newest first, keyset on (created_at, id); revoked keys too (they say when). */
export async function apiKeyPage(prisma: PrismaClient, query: PageQuery = {}): Promise<{ apiKeys: ApiKeyView[]; nextCursor: string | null }> {
  const { limit, after } = pageRequest(query, decodeTimeIdCursor);
  const rows = await prisma.apiKey.findMany({
    where: newestFirstAfter(after),
    orderBy: NEWEST_FIRST,
    take: limit + 1,
  });
  const page = pageOf(rows, limit, encodeTimeIdCursor);
  return { apiKeys: page.rows.map(view), nextCursor: page.nextCursor };
}

export async function getApiKey(prisma: PrismaClient, id: string): Promise<ApiKeyView> {
  const row = isUuid(id) ? await prisma.apiKey.findUnique({ where: { id } }) : null;
  if (!row) throw new NotFoundError('API key', id, 'id');
  return view(row);
}

/** Revokes a key from now on; revoking it again changes nothing (the first revocation's time stays). */
export async function revokeApiKey(prisma: PrismaClient, id: string, now = new Date()): Promise<ApiKeyView> {
  await getApiKey(prisma, id);
  await prisma.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: now } });
  return getApiKey(prisma, id);
}

/** Why a presented API key is refused, for the 401's detail. */
export type KeyRefusal = 'malformed' | 'unknown' | 'revoked' | 'expired';

/** The principal of a valid, live key; otherwise why not. */
export async function verifyApiKey(prisma: PrismaClient, token: string, now = new Date()): Promise<KeyPrincipal | KeyRefusal> {
  const m = TOKEN.exec(token);
  if (!m) return 'malformed';
  const hex = m[1] as string;
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const row = isUuid(id) ? await prisma.apiKey.findUnique({ where: { id } }) : null;
  if (!row || !timingSafeEqual(Buffer.from(row.tokenHash, 'hex'), sha256(token))) return 'unknown';
  if (row.revokedAt) return 'revoked';
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return 'expired';
  return { kind: 'key', keyId: row.id, scopes: new Set(row.scopes.filter(isScope)) as ReadonlySet<Scope>, businessId: row.businessId };
}

/** Whether `token` looks like one of our keys (osk_…), whatever its fate. */
export const looksLikeApiKey = (token: string) => token.startsWith('osk_');
