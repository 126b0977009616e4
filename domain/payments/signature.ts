// Webhook signatures in Stripe's scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
// The MAC covers the exact bytes received, so verification must run on the raw
// body, before any JSON parsing. The timestamp is inside the MAC, which is what
// makes the tolerance window a replay defence: an old delivery cannot be re-dated.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_FAILURES = ['missing', 'malformed', 'stale', 'mismatch'] as const;
export type SignatureFailure = (typeof SIGNATURE_FAILURES)[number];
export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: SignatureFailure };

export type VerifyOptions = {
  header: string | undefined;
  rawBody: string | Buffer;
  secret: string;
  /** How far the signed timestamp may be from now, in either direction. */
  toleranceSeconds: number;
  nowSeconds?: number;
};

function mac(secret: string, rawBody: string | Buffer, timestampSeconds: number): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(rawBody).digest('hex');
}

/** One v1 entry per secret, in the order given: while a secret is rotated the sender signs with the new and the old one. */
export function signPayload(secrets: string | readonly string[], rawBody: string | Buffer, timestampSeconds: number): string {
  const v1 = (typeof secrets === 'string' ? [secrets] : secrets).map((secret) => `,v1=${mac(secret, rawBody, timestampSeconds)}`);
  return `t=${timestampSeconds}${v1.join('')}`;
}

type ParsedHeader = { timestamp: number; v1: string[] };

function parseHeader(header: string): ParsedHeader | undefined {
  let timestamp: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      v1.push(value);
    }
    // Other schemes (v0, future ones) are ignored, as Stripe's clients do.
  }
  if (timestamp === undefined || v1.length === 0) return undefined;
  return { timestamp, v1 };
}

/** Equal-length buffers only reach timingSafeEqual; a length difference is just "no match", never a throw. */
function sameDigest(expected: Buffer, candidate: string): boolean {
  const given = Buffer.from(candidate.toLowerCase(), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function verifySignature({ header, rawBody, secret, toleranceSeconds, nowSeconds }: VerifyOptions): SignatureCheck {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
  const parsed = parseHeader(header);
  if (!parsed) return { ok: false, reason: 'malformed' };

  const expected = Buffer.from(mac(secret, rawBody, parsed.timestamp), 'utf8');
  // Every v1 entry is compared (no early exit): during a secret rotation the
  // sender signs with old and new secrets, and any one matching is enough.
  let matched = false;
  for (const candidate of parsed.v1) matched = sameDigest(expected, candidate) || matched;
  if (!matched) return { ok: false, reason: 'mismatch' };

  // Checked after the MAC so that "stale" always means a genuine but old (or
  // future-dated) delivery, i.e. a replay or a clock problem worth telling apart.
  const now = nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - parsed.timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };
  return { ok: true, timestamp: parsed.timestamp };
}
