import { createHmac } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { signPayload, verifySignature } from '../../domain/payments/signature.js';

const SECRET = 'whsec_test_secret_0123456789';
const BODY = '{"id":"evt_1","type":"payment.succeeded","data":{"orderId":"x"}}';
const NOW = 1_800_000_000;
const TOLERANCE = 300;

const verify = (header: string | undefined, o: { body?: string | Buffer; secret?: string; now?: number } = {}) =>
  verifySignature({ header, rawBody: o.body ?? BODY, secret: o.secret ?? SECRET, toleranceSeconds: TOLERANCE, nowSeconds: o.now ?? NOW });

const hmac = (secret: string, t: number, body: string) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

describe('webhook signatures (Stripe scheme)', () => {
  test('a signed body verifies and gives back its timestamp', () => {
    const header = signPayload(SECRET, BODY, NOW);
    expect(header).toBe(`t=${NOW},v1=${hmac(SECRET, NOW, BODY)}`);
    expect(verify(header)).toEqual({ ok: true, timestamp: NOW });
  });

  test('string and Buffer bodies sign the same bytes', () => {
    const header = signPayload(SECRET, Buffer.from(BODY, 'utf8'), NOW);
    expect(header).toBe(signPayload(SECRET, BODY, NOW));
    expect(verify(header, { body: Buffer.from(BODY) })).toEqual({ ok: true, timestamp: NOW });
  });

  test('a tampered body does not match', () => {
    const header = signPayload(SECRET, BODY, NOW);
    expect(verify(header, { body: BODY.replace('succeeded', 'failed') })).toEqual({ ok: false, reason: 'mismatch' });
    // One byte of whitespace is a different body: the MAC is over the exact bytes.
    expect(verify(header, { body: `${BODY} ` })).toEqual({ ok: false, reason: 'mismatch' });
  });

  test('a re-dated signature does not match (the timestamp is inside the MAC)', () => {
    const [, v1] = signPayload(SECRET, BODY, NOW - 3600).split(',');
    expect(verify(`t=${NOW},${v1}`)).toEqual({ ok: false, reason: 'mismatch' });
  });

  test('the wrong secret does not match', () => {
    expect(verify(signPayload('whsec_someone_else_entirely', BODY, NOW))).toEqual({ ok: false, reason: 'mismatch' });
  });

  test('a signature 6 minutes old is stale, and so is one 6 minutes in the future', () => {
    expect(verify(signPayload(SECRET, BODY, NOW - 360))).toEqual({ ok: false, reason: 'stale' });
    expect(verify(signPayload(SECRET, BODY, NOW + 360))).toEqual({ ok: false, reason: 'stale' });
  });

  test('the tolerance is inclusive at both edges', () => {
    expect(verify(signPayload(SECRET, BODY, NOW - TOLERANCE)).ok).toBe(true);
    expect(verify(signPayload(SECRET, BODY, NOW + TOLERANCE)).ok).toBe(true);
    expect(verify(signPayload(SECRET, BODY, NOW - TOLERANCE - 1))).toEqual({ ok: false, reason: 'stale' });
  });

  test('no header, or an empty one, is missing', () => {
    expect(verify(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(verify('')).toEqual({ ok: false, reason: 'missing' });
    expect(verify('   ')).toEqual({ ok: false, reason: 'missing' });
  });

  test.each([
    ['no timestamp', `v1=${hmac(SECRET, NOW, BODY)}`],
    ['no v1 entry', `t=${NOW}`],
    ['only an unknown scheme', `t=${NOW},v0=${hmac(SECRET, NOW, BODY)}`],
    ['a timestamp that is not a number', `t=soon,v1=${hmac(SECRET, NOW, BODY)}`],
    ['a negative timestamp', `t=-5,v1=${hmac(SECRET, NOW, BODY)}`],
    ['two timestamps', `t=${NOW},t=${NOW},v1=${hmac(SECRET, NOW, BODY)}`],
    ['a part without "="', `t=${NOW},garbage,v1=${hmac(SECRET, NOW, BODY)}`],
    ['plain text', 'sha256=abc'],
    ['only commas', ',,,'],
  ])('%s is malformed', (_what, header) => {
    expect(verify(header)).toEqual({ ok: false, reason: 'malformed' });
  });

  test('several v1 entries (secret rotation): any one matching is enough, unknown schemes are ignored', () => {
    const good = hmac(SECRET, NOW, BODY);
    const old = hmac('whsec_previous_secret_value', NOW, BODY);
    expect(verify(`t=${NOW},v1=${old},v1=${good}`)).toEqual({ ok: true, timestamp: NOW });
    expect(verify(`t=${NOW},v1=${good},v1=${old}`)).toEqual({ ok: true, timestamp: NOW });
    expect(verify(`v0=deadbeef,t=${NOW},v1=${good},v2=whatever`)).toEqual({ ok: true, timestamp: NOW });
    expect(verify(` t=${NOW} , v1=${good} `)).toEqual({ ok: true, timestamp: NOW });
    expect(verify(`t=${NOW},v1=${old},v1=${old}`)).toEqual({ ok: false, reason: 'mismatch' });
  });

  test('signatures of other lengths (or not hex) are a mismatch, never an exception', () => {
    const good = hmac(SECRET, NOW, BODY);
    for (const v1 of ['', 'ab', good.slice(0, 63), `${good}00`, 'z'.repeat(64), 'é'.repeat(32), good.repeat(4)]) {
      expect(() => verify(`t=${NOW},v1=${v1}`)).not.toThrow();
      expect(verify(`t=${NOW},v1=${v1}`)).toEqual({ ok: false, reason: 'mismatch' });
    }
  });

  test('without nowSeconds the clock is used', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(verifySignature({ header: signPayload(SECRET, BODY, now), rawBody: BODY, secret: SECRET, toleranceSeconds: 5 })).toEqual({
      ok: true,
      timestamp: now,
    });
    expect(verifySignature({ header: signPayload(SECRET, BODY, now - 60), rawBody: BODY, secret: SECRET, toleranceSeconds: 5 })).toEqual({
      ok: false,
      reason: 'stale',
    });
  });
});
