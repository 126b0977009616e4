// What a route learned about the request that the request log line should carry:
// the order it was about and, when known, the process instance running it. With
// these on the request line, `grep <orderId>` over the JSON log finds the API
// call next to the jobs, webhooks, relays and notifications of the same order.
import type { Response } from 'express';

export type RequestLogFields = { orderId?: string | null; processInstanceKey?: string | null };

const KEY = 'requestLogFields';

export function logRequestWith(res: Response, fields: RequestLogFields): void {
  const current = (res.locals[KEY] ?? {}) as Record<string, string>;
  for (const [name, value] of Object.entries(fields)) if (typeof value === 'string' && value !== '') current[name] = value;
  res.locals[KEY] = current;
}

export function requestLogFields(res: Response): Record<string, string> {
  return (res.locals[KEY] ?? {}) as Record<string, string>;
}
