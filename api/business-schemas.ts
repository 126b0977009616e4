// Businesses: the admin API's request and response shapes (published in /openapi.json).
// The plugin's settings are checked by the plugin (domain/businesses, with the dispatcher
// registry the app wires in); here only that they are an object.
import { z } from 'zod';
import { BUSINESS_ID, BUSINESS_ID_MESSAGE, MAX_BUSINESS_NAME_LENGTH } from '../domain/businesses/business.js';
import { EMAIL_PATTERN, MAX_EMAIL_LENGTH } from '../domain/orders/create-order.js';
import { storableText } from '../domain/storable.js';
import { listQuery, NextCursor, Sku } from './schemas.js';

const required = (expected: string) => ({ error: (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : `must be ${expected}`) });
const Timestamp = z.string().meta({ format: 'date-time' });

export const BusinessId = storableText(required('a string'))
  .regex(BUSINESS_ID, BUSINESS_ID_MESSAGE)
  .meta({ description: 'The business, a slug: lower-case letters, digits and dashes', example: 'acme-supplies' });

const Name = storableText(required('a string'))
  .trim()
  .min(1, 'must not be empty')
  .max(MAX_BUSINESS_NAME_LENGTH, `must be at most ${MAX_BUSINESS_NAME_LENGTH} characters`)
  .meta({ description: 'For people: in mails to the business and on the ops pages', example: 'ACME Supplies' });

const ContactEmail = storableText(required('a string'))
  .max(MAX_EMAIL_LENGTH, `must be at most ${MAX_EMAIL_LENGTH} characters`)
  .regex(EMAIL_PATTERN, 'must be an e-mail address')
  .meta({ description: 'Who to contact at the business; the email plugin mails it when its settings name no `to`', example: 'orders@acme.example' });

const isJsonObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The plugin's settings, as sent (the plugin refuses what it does not know, `__proto__` included). */
const Settings = z.custom<Record<string, unknown>>(isJsonObject, 'must be an object of the plugin’s settings').optional().meta({
  type: 'object',
  additionalProperties: true,
  description:
    'The plugin’s settings (default {}): webhook {"url", "timeoutMs"?}, email {"to"?}, manual {}. An unknown or bad setting is a 400 naming `dispatcher.settings.<name>`',
  example: {},
});

export const DispatcherBody = z
  .strictObject(
    {
      plugin: storableText(required('a string'))
        .min(1, 'must not be empty')
        .max(100, 'must be at most 100 characters')
        .meta({ description: 'How shipments reach the business: webhook, email or manual (an unknown one is a 400 naming the field)', example: 'manual' }),
      settings: Settings,
    },
    required('an object: {"plugin", "settings"}'),
  )
  .meta({ id: 'BusinessDispatcher' });

export const CreateBusinessBody = z
  .strictObject({ id: BusinessId, name: Name, contactEmail: ContactEmail, dispatcher: DispatcherBody })
  .meta({ id: 'CreateBusiness' });

export const UpdateBusinessBody = z
  .strictObject({ name: Name.optional(), contactEmail: ContactEmail.optional(), dispatcher: DispatcherBody.optional() })
  .refine((b) => Object.keys(b).length > 0, 'must change at least one field')
  .meta({ id: 'UpdateBusiness', description: 'The fields to change; a `dispatcher` replaces the current one whole' });

/** POST /businesses/{id}/secret takes no fields: no body, or {}. */
export const RotateBusinessSecretBody = z.strictObject({});

export const AssignProductBody = z.strictObject({ businessId: BusinessId }).meta({ id: 'AssignProductBusiness' });

export const BusinessParams = z.object({ id: storableText() });
export const ListBusinessesQuery = listQuery({});

export const Business = z
  .object({
    id: z.string().meta({ example: 'acme-supplies' }),
    name: z.string(),
    contactEmail: z.string(),
    dispatcher: z.object({ plugin: z.string(), settings: z.record(z.string(), z.unknown()) }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Business' });

export const BusinessWithSecret = Business.extend({
  secret: z.string().meta({
    description: 'bsec_…: signs what we send the business and verifies what it sends us (HMAC-SHA256). Shown only in this answer: give it to the business now.',
  }),
}).meta({ id: 'BusinessWithSecret' });

export const BusinessList = z.object({ businesses: z.array(Business), nextCursor: NextCursor }).meta({ id: 'BusinessList' });

export const ProductSupplier = z.object({ sku: Sku, name: z.string(), businessId: z.string() }).meta({ id: 'ProductSupplier' });
