// A business: a merchant or supplier that fulfils its products (docs/api.md#businesses).
// What every capability of this folder shares: the rules a business's fields follow, its
// secret, and how it is shown (never with the secret, but where it was just made).
import { randomBytes } from 'node:crypto';
import type { PrismaClient, Tx } from '../../infra/database.js';
import { NotFoundError } from '../errors.js';
import { EMAIL_PATTERN, MAX_EMAIL_LENGTH } from '../orders/create-order.js';
import { unstorableJsonFields } from '../storable.js';

/** A business's id: a slug, as the database's CHECK says. */
export const BUSINESS_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const BUSINESS_ID_MESSAGE = 'must be 1 to 63 lower-case letters, digits or dashes, starting with a letter or digit';
export const MAX_BUSINESS_NAME_LENGTH = 200;

/**
 * The dispatcher plugins' check of a business's `dispatcher` (integrations/dispatchers/registry.ts
 * provides it; the domain does not know the plugins): problems naming their fields as the admin API
 * names them (`dispatcher.plugin`, `dispatcher.settings.url`), [] when usable. Never throws.
 */
export type SettingsValidator = (plugin: string, settings: unknown) => { field: string; message: string }[];

export type DispatcherInput = { plugin: string; settings?: unknown };

export type BusinessView = {
  id: string;
  name: string;
  contactEmail: string;
  dispatcher: { plugin: string; settings: Record<string, unknown> };
  createdAt: string;
  updatedAt: string;
};

/** Shown once: when the business is created and when its secret is rotated. */
export type BusinessWithSecret = BusinessView & { secret: string };

export type BusinessRow = {
  id: string;
  name: string;
  contactEmail: string;
  dispatcher: string;
  dispatcherSettings: unknown;
  createdAt: Date;
  updatedAt: Date;
};

/** The fields a view shows: never the secret. */
export const BUSINESS_VIEW_FIELDS = {
  id: true,
  name: true,
  contactEmail: true,
  dispatcher: true,
  dispatcherSettings: true,
  createdAt: true,
  updatedAt: true,
} as const;

export function businessView(b: BusinessRow): BusinessView {
  const settings = b.dispatcherSettings !== null && typeof b.dispatcherSettings === 'object' ? (b.dispatcherSettings as Record<string, unknown>) : {};
  return {
    id: b.id,
    name: b.name,
    contactEmail: b.contactEmail,
    dispatcher: { plugin: b.dispatcher, settings },
    createdAt: b.createdAt.toISOString(),
    updatedAt: b.updatedAt.toISOString(),
  };
}

/** Signs what we send the business and verifies what it sends us: bsec_ and 32 random bytes in hex. */
export function newBusinessSecret(): string {
  return `bsec_${randomBytes(32).toString('hex')}`;
}

type FieldError = { field: string; message: string };

export function nameProblems(name: string): FieldError[] {
  const trimmed = name.trim();
  if (trimmed.length === 0) return [{ field: 'name', message: 'must not be empty' }];
  if (trimmed.length > MAX_BUSINESS_NAME_LENGTH) return [{ field: 'name', message: `must be at most ${MAX_BUSINESS_NAME_LENGTH} characters` }];
  return [];
}

export function contactEmailProblems(email: string): FieldError[] {
  return email.length > MAX_EMAIL_LENGTH || !EMAIL_PATTERN.test(email) ? [{ field: 'contactEmail', message: 'must be an e-mail address' }] : [];
}

/** What the database cannot store of the settings first (a NUL, nesting too deep), then what the plugin says of them. */
export function dispatcherProblems(dispatcher: DispatcherInput, validate: SettingsValidator): FieldError[] {
  const settings = dispatcher.settings ?? {};
  const unstorable = unstorableJsonFields(settings).map((e) => ({
    field: e.field === 'body' ? 'dispatcher.settings' : `dispatcher.settings${e.field.startsWith('[') ? '' : '.'}${e.field}`,
    message: e.message,
  }));
  if (unstorable.length > 0) return unstorable;
  return validate(dispatcher.plugin, settings);
}

/** The settings as they are stored: an object, {} when none were given. */
export const storedSettings = (dispatcher: DispatcherInput) => (dispatcher.settings ?? {}) as Record<string, unknown>;

/** The business `id`, or NotFound naming `field`; an id that is no slug names no business. */
export async function foundBusiness(prisma: PrismaClient | Tx, id: string, field = 'id'): Promise<BusinessRow> {
  const row = BUSINESS_ID.test(id) ? await prisma.business.findUnique({ where: { id }, select: BUSINESS_VIEW_FIELDS }) : null;
  if (!row) throw new NotFoundError('business', id, field);
  return row;
}
