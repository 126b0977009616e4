// Where a webhook may go (SSRF): the address ranges refused with private networks off, the odd
// spellings of an address in a URL, and the check a subscription's URL gets when it is set.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { refusedAddressReason, type Resolve } from '../../domain/events/address-rules.js';
import { subscriptionAddressProblem } from '../../domain/events/subscription-url.js';

const refused = (ip: string) => refusedAddressReason(ip, false);
const PUBLIC = ['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2001:4860:4860::8888', '64:ff9b::808:808'];

/** Every IPv4 address of `base`/`prefix`, as an arbitrary. */
function inRange(base: string, prefix: number): fc.Arbitrary<string> {
  const start = base.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  return fc.integer({ min: 0, max: 2 ** (32 - prefix) - 1 }).map((offset) => {
    const n = start + offset;
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  });
}

const mapped = (ipv4: string) => `::ffff:${ipv4}`;
const nat64 = (ipv4: string) => {
  const [a, b, c, d] = ipv4.split('.').map(Number) as [number, number, number, number];
  return `64:ff9b::${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
};

describe('address rules (private networks refused)', () => {
  test.each([
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['100.64.0.0', 10],
    ['0.0.0.0', 8],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ])('every address in %s/%i is refused, also written IPv4-mapped (::ffff:a.b.c.d) or through NAT64 (64:ff9b::/96)', (base, prefix) => {
    fc.assert(
      fc.property(inRange(base, prefix), (ip) => {
        expect(refused(ip)).toBeDefined();
        expect(refused(mapped(ip))).toBeDefined();
        expect(refused(nat64(ip))).toBeDefined();
      }),
    );
  });

  test('the IPv6 ranges are refused: loopback, unspecified, unique-local fc00::/7, link-local, multicast, IPv4-compatible and -translated', () => {
    for (const ip of [
      '::1',
      '::',
      'fc00::1',
      'fd12:3456:789a::1',
      'fe80::1',
      'fe80::1%eth0',
      'febf:ffff::1',
      'ff02::1',
      '::7f00:1',
      '::ffff:0:7f00:1',
      '2001:db8::1',
      '2002:7f00:1::1',
    ])
      expect([ip, refused(ip)]).toEqual([ip, expect.any(String)]);
  });

  test('public addresses are allowed, IPv4 and IPv6, also NAT64 of a public IPv4', () => {
    for (const ip of PUBLIC) expect([ip, refused(ip)]).toEqual([ip, undefined]);
  });

  test('an IPv4 address and its IPv4-mapped IPv6 spelling always get the same verdict', () => {
    fc.assert(fc.property(fc.ipV4(), (ip) => expect(refused(mapped(ip)) === undefined).toBe(refused(ip) === undefined)));
  });

  test('the reason names the range: cloud metadata, loopback, RFC 1918', () => {
    expect(refused('169.254.169.254')).toMatch(/link-local.*metadata/);
    expect(refused('::ffff:127.0.0.1')).toMatch(/loopback/);
    expect(refused('10.0.0.5')).toBe('private (10.0.0.0/8)');
  });

  test('private networks allowed (development): loopback and RFC 1918 pass, "this host", multicast and broadcast never do', () => {
    for (const ip of ['127.0.0.1', '::1', '10.0.0.5', '192.168.1.1', '169.254.169.254', 'fd00::1']) expect(refusedAddressReason(ip, true)).toBeUndefined();
    for (const ip of ['0.0.0.0', '::', '224.0.0.1', 'ff02::1', '255.255.255.255', '::ffff:0.0.0.0']) expect(refusedAddressReason(ip, true)).toBeDefined();
  });
});

describe("a subscription URL's address, checked when it is set", () => {
  const noDns: Resolve = () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
  const off = { allowPrivate: false, resolve: noDns };

  test.each([
    ['http://127.0.0.1/hook', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'], // decimal
    ['http://0177.0.0.1/', '127.0.0.1'], // octal
    ['http://0x7f.1/', '127.0.0.1'], // hexadecimal, short
    ['http://127.1/', '127.0.0.1'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
    ['http://[::1]:6379/', '::1'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['http://0.0.0.0:5432/', '0.0.0.0'],
    ['https://[fd00::1]/', 'fd00::1'],
    ['http://100.64.0.1/', '100.64.0.1'],
  ])('a URL spelling a refused address is refused: %s', async (url, address) => {
    expect(await subscriptionAddressProblem(url, off)).toMatch(new RegExp(`^points to ${address.replace(/\./g, '\\.')}, which is not allowed: `));
  });

  test('a host name is refused when any of its addresses is refused', async () => {
    const resolve: Resolve = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
    expect(await subscriptionAddressProblem('https://mixed.example/hook', { allowPrivate: false, resolve })).toBe(
      'resolves to 10.0.0.5, which is not allowed: private (10.0.0.0/8)',
    );
  });

  test('a host name resolving to public addresses only is accepted', async () => {
    const resolve: Resolve = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
    ];
    expect(await subscriptionAddressProblem('https://shop.example/hook', { allowPrivate: false, resolve })).toBeUndefined();
  });

  test('a host name that does not resolve is accepted (every delivery checks again)', async () => {
    expect(await subscriptionAddressProblem('https://not-yet-published.example/hook', off)).toBeUndefined();
  });

  test('with the system resolver, localhost is refused', async () => {
    expect(await subscriptionAddressProblem('http://localhost:6379/', { allowPrivate: false })).toMatch(
      /^resolves to (127\.0\.0\.1|::1), which is not allowed: loopback/,
    );
  });

  test('private networks allowed: a local subscriber is accepted, a name is not even looked up, 0.0.0.0 still refused', async () => {
    const asked: string[] = [];
    const resolve: Resolve = async (hostname) => (asked.push(hostname), [{ address: '127.0.0.1', family: 4 }]);
    expect(await subscriptionAddressProblem('http://127.0.0.1:4000/hook', { allowPrivate: true, resolve })).toBeUndefined();
    expect(await subscriptionAddressProblem('http://subscriber.local:4000/hook', { allowPrivate: true, resolve })).toBeUndefined();
    expect(asked).toEqual([]);
    expect(await subscriptionAddressProblem('http://0.0.0.0:4000/hook', { allowPrivate: true, resolve: noDns })).toMatch(/this host/);
  });
});
