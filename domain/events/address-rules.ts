// Which IP addresses a webhook may be sent to. Subscriptions are created by callers we do not
// fully trust with our network: without these rules a subscription could make this service
// POST to Redis on 127.0.0.1, the cloud metadata service on 169.254.169.254, the database or
// an internal admin API (SSRF). The subscription route checks a URL's address when it is set,
// and the webhook POST checks every address it connects to (a name may resolve elsewhere later).
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

export type ResolvedAddress = { address: string; family: number };
/** Every address a host name resolves to (dns.lookup with all: true, or a test's stand-in). */
export type Resolve = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolve: Resolve = (hostname) => lookup(hostname, { all: true, verbatim: true });

type Range = { net: string; prefix: number; what: string };

// Never a server's address, even in development: "this host" (0.0.0.0 reaches the local machine), multicast, reserved.
const NEVER: Range[] = [
  { net: '0.0.0.0', prefix: 8, what: '"this host" (0.0.0.0/8)' },
  { net: '224.0.0.0', prefix: 4, what: 'multicast (224.0.0.0/4)' },
  { net: '240.0.0.0', prefix: 4, what: 'reserved (240.0.0.0/4, broadcast)' },
  { net: '::', prefix: 128, what: 'unspecified (::)' },
  { net: 'ff00::', prefix: 8, what: 'multicast (ff00::/8)' },
];

// Not on the public internet (IANA special-purpose registries): refused unless private networks are allowed.
const PRIVATE: Range[] = [
  { net: '127.0.0.0', prefix: 8, what: 'loopback (127.0.0.0/8)' },
  { net: '10.0.0.0', prefix: 8, what: 'private (10.0.0.0/8)' },
  { net: '172.16.0.0', prefix: 12, what: 'private (172.16.0.0/12)' },
  { net: '192.168.0.0', prefix: 16, what: 'private (192.168.0.0/16)' },
  { net: '100.64.0.0', prefix: 10, what: 'shared address space (CGNAT, 100.64.0.0/10)' },
  { net: '169.254.0.0', prefix: 16, what: 'link-local (169.254.0.0/16, cloud metadata)' },
  { net: '192.0.0.0', prefix: 24, what: 'IETF protocol assignments (192.0.0.0/24)' },
  { net: '192.0.2.0', prefix: 24, what: 'documentation (192.0.2.0/24)' },
  { net: '198.51.100.0', prefix: 24, what: 'documentation (198.51.100.0/24)' },
  { net: '203.0.113.0', prefix: 24, what: 'documentation (203.0.113.0/24)' },
  { net: '198.18.0.0', prefix: 15, what: 'benchmarking (198.18.0.0/15)' },
  { net: '::1', prefix: 128, what: 'loopback (::1)' },
  { net: '::', prefix: 96, what: 'IPv4-compatible (::/96, deprecated)' },
  { net: '::ffff:0:0:0', prefix: 96, what: 'IPv4-translated (::ffff:0:0:0/96)' },
  { net: '64:ff9b:1::', prefix: 48, what: 'local-use NAT64 (64:ff9b:1::/48)' },
  { net: '100::', prefix: 64, what: 'discard-only (100::/64)' },
  { net: '2001::', prefix: 23, what: 'IETF protocol assignments (2001::/23, Teredo)' },
  { net: '2001:db8::', prefix: 32, what: 'documentation (2001:db8::/32)' },
  { net: '2002::', prefix: 16, what: '6to4 (2002::/16, deprecated)' },
  { net: 'fc00::', prefix: 7, what: 'unique-local (fc00::/7)' },
  { net: 'fe80::', prefix: 10, what: 'link-local (fe80::/10)' },
  { net: 'fec0::', prefix: 10, what: 'site-local (fec0::/10, deprecated)' },
];

const familyOf = (ip: string) => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');

/** One BlockList per range, so that a refusal can say which range. */
const compile = (ranges: Range[]) =>
  ranges.map((r) => {
    const list = new BlockList();
    list.addSubnet(r.net, r.prefix, familyOf(r.net));
    return { list, what: r.what };
  });
const NEVER_LISTS = compile(NEVER);
const PRIVATE_LISTS = compile(PRIVATE);

/** The first range holding `ip`. BlockList matches IPv4 rules against IPv4-mapped IPv6 (::ffff:a.b.c.d) as well. */
function rangeOf(ranges: ReturnType<typeof compile>, ip: string): string | undefined {
  return ranges.find((r) => r.list.check(ip, familyOf(ip)))?.what;
}

/** The 8 groups of an IPv6 address, an embedded dotted quad included. */
function ipv6Groups(ip: string): number[] {
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  const hex = quad ? ip.slice(0, quad.index) + (((+quad[1]! << 8) | +quad[2]!).toString(16) + ':' + ((+quad[3]! << 8) | +quad[4]!).toString(16)) : ip;
  const [head, tail] = hex.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = part(head);
  const t = part(tail);
  return tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** The IPv4 address NAT64's well-known prefix (64:ff9b::/96) carries, which is where the packets really go. */
function nat64Target(ip: string): string | undefined {
  const g = ipv6Groups(ip);
  if (g[0] !== 0x64 || g[1] !== 0xff9b || g.slice(2, 6).some((x) => x !== 0)) return undefined;
  return [g[6]! >> 8, g[6]! & 0xff, g[7]! >> 8, g[7]! & 0xff].join('.');
}

/**
 * Why a webhook may not go to `ip` (an IP address as dns.lookup or the URL parser gives it),
 * or undefined when it may. `allowPrivate` (development, tests): only addresses that are
 * never a server's are refused.
 */
export function refusedAddressReason(ip: string, allowPrivate: boolean): string | undefined {
  const address = ip.replace(/%.*$/, ''); // an IPv6 zone (fe80::1%eth0)
  if (isIP(address) === 0) return 'not an IP address';
  const target = isIP(address) === 6 ? nat64Target(address) : undefined;
  if (target !== undefined) return refusedAddressReason(target, allowPrivate);
  return rangeOf(NEVER_LISTS, address) ?? (allowPrivate ? undefined : rangeOf(PRIVATE_LISTS, address));
}

/**
 * The IP address a URL's hostname spells, or undefined for a host name. The WHATWG URL parser
 * has already turned the odd spellings (2130706433, 0177.0.0.1, 0x7f.1) into a dotted quad
 * and brackets IPv6 ([::ffff:7f00:1]): always check `new URL(…).hostname`, never the raw text.
 */
export function literalAddress(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? undefined : bare;
}

/** The message of a refused address, the same at creation and in the delivery log. */
export function notAllowedMessage(ip: string, reason: string): string {
  return `address ${ip} is not allowed: ${reason}`;
}
