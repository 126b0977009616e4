// Where a subscription may point: http(s) only, no credentials in the URL (they would be
// shown in lists and logs; the signature is how a subscriber authenticates us), and not to
// our own networks (address-rules.ts).
import { withinTime } from '../../infra/time-limit.js';
import { literalAddress, refusedAddressReason, systemResolve, type Resolve } from './address-rules.js';

export const MAX_URL_LENGTH = 2048;

/** What is wrong with `url` as a webhook endpoint, or undefined when it will do. */
export function subscriptionUrlProblem(url: string): string | undefined {
  if (url.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (parsed.username !== '' || parsed.password !== '') return 'must not contain credentials (user:password@): subscribers verify the signature instead';
  if (parsed.hash !== '') return 'must not contain a fragment (#…)';
  return undefined;
}

/** Whether webhooks may go to private networks (EVENT_SUBSCRIPTION_ALLOW_PRIVATE), and how host names are resolved. */
export type AddressPolicy = { allowPrivate: boolean; resolve?: Resolve };

/** A host name that has not resolved in this time is taken as not resolving (see below). */
const RESOLVE_WITHIN_MS = 5000;

/**
 * What is wrong with where `url` points (its address, or every address its host name
 * resolves to), or undefined when it will do. A name that does not resolve (yet) is
 * accepted: every delivery checks the addresses it connects to, so refusing it here would
 * protect nothing, and an endpoint may be registered before its DNS record is published.
 */
export async function subscriptionAddressProblem(url: string, { allowPrivate, resolve = systemResolve }: AddressPolicy): Promise<string | undefined> {
  const { hostname } = new URL(url);
  const literal = literalAddress(hostname);
  // Private networks allowed, only "this host", multicast and reserved addresses are refused: a name is not worth a lookup.
  if (literal === undefined && allowPrivate) return undefined;
  const addresses =
    literal !== undefined
      ? [literal]
      : await withinTime(resolve(hostname), RESOLVE_WITHIN_MS, 'no answer').then(
          (found) => found.map((a) => a.address),
          () => [],
        );
  for (const address of addresses) {
    const reason = refusedAddressReason(address, allowPrivate);
    if (reason) return `${literal === undefined ? 'resolves' : 'points'} to ${address}, which is not allowed: ${reason}`;
  }
  return undefined;
}
