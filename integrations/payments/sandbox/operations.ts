// The sandbox's capture and refund: one Lua script, so that the checks and the
// money moved are one atomic step however many calls arrive at once (a real
// provider serialises them per payment the same way).
import type { PaymentOperation } from '../../../domain/payments/gateway.js';
import type { OperationKind } from './tokens.js';

export const OPERATION_COMMAND = 'sandboxProviderOperation';

// Order matters: the API may be down (counted per payment and kind, as the token asks) before
// anything else; a known idempotency key answers what it answered first; only then the checks.
// Refusals are not remembered: a payment still pending may be captured under the same key later.
export const OPERATION_SCRIPT = `
local key, kind, amount, idem = KEYS[1], ARGV[1], tonumber(ARGV[3]), 'op:' .. ARGV[5]
if redis.call('HGET', key, 'providerPaymentId') ~= ARGV[2] then return {'unknown'} end
local calls = redis.call('HINCRBY', key, kind .. 'Calls', 1)
local failing = tonumber(redis.call('HGET', key, kind .. 'Failures') or '0')
if calls <= failing then return {'unavailable', calls, failing} end
local first = redis.call('HGET', key, idem)
if first then
  first = cjson.decode(first)
  if first.kind ~= kind then return {'refused', 'idempotency key reused for a ' .. first.kind} end
  if first.amount ~= amount then return {'refused', 'idempotency key reused with a different amount'} end
  return {'done', first.id, first.refunded, first.released}
end
if redis.call('HGET', key, 'refuses') == kind then return {'refused', kind .. ' refused by the issuer'} end
local currency = redis.call('HGET', key, 'currency')
if currency ~= ARGV[4] then return {'refused', 'currency ' .. ARGV[4] .. ' is not the payment currency ' .. tostring(currency)} end
local voided = redis.call('HGET', key, 'status') == 'voided'
if kind == 'capture' and voided then return {'refused', 'payment voided'} end
if not voided and ARGV[7] ~= 'approved' then return {'refused', 'payment not approved (' .. ARGV[7] .. ')'} end
local function amountOf(field) return tonumber(redis.call('HGET', key, field) or '0') end
local captured, refunded, released = amountOf('capturedMinor'), amountOf('refundedMinor'), amountOf('releasedMinor')
-- A void released whatever was not captured yet.
local uncaptured = voided and 0 or amountOf('amountMinor') - captured - released
local refund, release = 0, 0
if kind == 'capture' then
  if amount > uncaptured then return {'refused', 'amount ' .. amount .. ' exceeds the ' .. uncaptured .. ' authorized and not captured or released'} end
  redis.call('HINCRBY', key, 'capturedMinor', amount)
else
  refund = math.min(amount, captured - refunded)
  release = amount - refund
  if release > uncaptured then return {'refused', 'amount ' .. amount .. ' exceeds the ' .. (captured - refunded + uncaptured) .. ' left to refund or release'} end
  redis.call('HINCRBY', key, 'refundedMinor', refund)
  redis.call('HINCRBY', key, 'releasedMinor', release)
end
redis.call('HSET', key, idem, cjson.encode({kind = kind, amount = amount, id = ARGV[6], refunded = refund, released = release}))
redis.call('EXPIRE', key, tonumber(ARGV[8]))
return {'done', ARGV[6], refund, release}
`;

export type OperationAnswer =
  | { kind: 'done'; providerOperationId: string; refundedMinor: number; releasedMinor: number }
  | { kind: 'refused'; reason: string }
  | { kind: 'unavailable'; attempt: number; failures: number }
  /** The record is gone (or never was): the provider's 404. */
  | { kind: 'unknown' };

type ScriptRunner = { runCommand(name: string, args: unknown[]): Promise<unknown> };

export async function applyOperation(
  client: ScriptRunner,
  o: { key: string; kind: OperationKind; op: PaymentOperation; providerOperationId: string; verdict: string; ttlSeconds: number },
): Promise<OperationAnswer> {
  const { op } = o;
  const answer = (await client.runCommand(OPERATION_COMMAND, [
    o.key,
    o.kind,
    op.providerPaymentId,
    String(op.amountMinor),
    op.currency,
    op.idempotencyKey,
    o.providerOperationId,
    o.verdict,
    String(o.ttlSeconds),
  ])) as [string, ...(string | number)[]];
  switch (answer[0]) {
    case 'done':
      return { kind: 'done', providerOperationId: String(answer[1]), refundedMinor: Number(answer[2]), releasedMinor: Number(answer[3]) };
    case 'refused':
      return { kind: 'refused', reason: String(answer[1]) };
    case 'unavailable':
      return { kind: 'unavailable', attempt: Number(answer[1]), failures: Number(answer[2]) };
    default:
      return { kind: 'unknown' };
  }
}
