// API keys: the admin API's request and response shapes (published in /openapi.json).
import { z } from 'zod';
import { ALL_SCOPES } from '../domain/access/scopes.js';
import { storableText } from '../domain/storable.js';
import { listQuery, NextCursor } from './schemas.js';

const Timestamp = z.string().meta({ format: 'date-time' });

export const ScopeName = z.enum(ALL_SCOPES, { error: `must be one of ${ALL_SCOPES.join(', ')}` }).meta({ id: 'Scope', example: 'orders:write' });

export const CreateApiKeyBody = z
  .strictObject({
    name: storableText('must be a string')
      .trim()
      .min(1, 'must not be empty')
      .max(100, 'must be at most 100 characters')
      .meta({ description: 'Who uses it, for people reading the list', example: 'shop backend' }),
    scopes: z.array(ScopeName, 'must be an array of scopes').min(1, 'must name at least one scope').max(ALL_SCOPES.length, 'has too many entries'),
    businessId: storableText('must be a string')
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'must be 1 to 100 letters, digits or . _ : -')
      .optional()
      .meta({ description: "Makes it a business's key: only shipments:read and shipments:write, for that business's shipments", example: 'acme-supplies' }),
    expiresAt: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2027-01-31T00:00:00Z' })
      .optional()
      .meta({ description: 'When it stops working; absent: until revoked' }),
  })
  .meta({ id: 'CreateApiKey' });

export const ApiKeyParams = z.object({ id: storableText() });
export const ListApiKeysQuery = listQuery({});

export const ApiKey = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scopes: z.array(ScopeName),
    businessId: z.string().nullable(),
    createdAt: Timestamp,
    expiresAt: Timestamp.nullable(),
    revokedAt: Timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const CreatedApiKey = ApiKey.extend({
  token: z.string().meta({ description: 'The key (osk_…), to send as `Authorization: Bearer <token>`. Shown only in this answer: keep it.' }),
}).meta({ id: 'CreatedApiKey' });

export const ApiKeyList = z.object({ apiKeys: z.array(ApiKey), nextCursor: NextCursor }).meta({ id: 'ApiKeyList' });
