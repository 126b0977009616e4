// What openapi.ts hands the modules that describe a group of paths (openapi-ops.ts, openapi-events.ts).
import type { z } from 'zod';

export type JsonSchema = Record<string, unknown>;

export type OpenApiHelpers = {
  json: (schema: z.ZodType, io?: 'input' | 'output') => JsonSchema;
  problem: (description: string, example?: unknown) => unknown;
  ok: (schema: z.ZodType, description?: string, example?: unknown) => unknown;
  /** A list's description, query parameters (from its `listQuery` schema) and 400, as every list of the API has them. */
  list: (schema: z.ZodType, path: string) => { description: string; parameters: unknown[]; badRequest: unknown };
};
