// Customers' bearer tokens, issued by the shop's identity provider: a JWT checked for its
// signature (HS256 with the shared secret, or an asymmetric algorithm with a key of the
// provider's JWKS, never `none`, never HS with a public key), issuer, audience and expiry.
// The subject is the customer id.
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../infra/config.js';
import { isStorableText } from '../domain/storable.js';
import type { CustomerPrincipal } from '../domain/access/principal.js';

/** The asymmetric algorithms a JWKS key may sign with. HS* is refused there: its "key" would be public. */
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Clocks drift: a token is taken this long past its `exp` (and before its `nbf`). */
const CLOCK_TOLERANCE_S = 30;
const MAX_CUSTOMER_ID = 100;

export type CustomerTokenVerifier = (token: string) => Promise<CustomerPrincipal | { refused: string }>;

/** Whether a bearer credential is a JWT (three base64url parts) rather than one of our keys. */
export const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(token);

function refusal(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the customer token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `the customer token's "${err.claim}" claim is not accepted here (${err.reason})`;
  if (err instanceof errors.JOSEAlgNotAllowed) return "the customer token's algorithm is not accepted here";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "the customer token's signature does not verify";
  if (err instanceof errors.JWKSNoMatchingKey) return "no key of the identity provider's JWKS matches the customer token";
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JOSEError) return `the customer token could not be verified (${err.code})`;
  return 'the customer token could not be verified';
}

/** The verifier for the configured keys; undefined when customers cannot authenticate. */
export function customerTokenVerifier(config: AuthConfig['customerTokens']): CustomerTokenVerifier | undefined {
  if (!config) return undefined;
  const secret = config.secret === undefined ? undefined : new TextEncoder().encode(config.secret);
  const jwks = config.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(config.jwksUrl));
  const algorithms = [...(secret ? ['HS256'] : []), ...(jwks ? ASYMMETRIC : [])];
  // The token's own header picks the key: HS256 the secret, anything else the JWKS (algorithms above bound both).
  const key: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret) return secret;
    if (jwks) return jwks(header, token);
    throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  };
  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms,
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      const sub = payload.sub as string;
      if (sub.trim() === '' || sub.length > MAX_CUSTOMER_ID || !isStorableText(sub)) return { refused: 'the customer token\'s "sub" is not a customer id' };
      return { kind: 'customer', customerId: sub };
    } catch (err) {
      return { refused: refusal(err) };
    }
  };
}
