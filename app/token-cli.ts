// `npm run token -- <customerId> [--expires-in PT1H]`: a customer token for development
// and tests, signed like the shop's identity provider would (HS256 with CUSTOMER_JWT_SECRET,
// the configured issuer and audience, the customer id as subject). Only the token goes to
// stdout, so that `TOKEN=$(npm run -s token -- cust-1)` works; refusals go to stderr, exit 2.
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { isStorableText } from '../domain/storable.js';
import { ConfigError, loadConfig } from '../infra/config.js';
import { addDuration } from '../infra/iso-duration.js';

const USAGE = 'Usage: npm run token -- <customerId> [--expires-in <ISO 8601 duration, default PT1H>]';
/** The API's rule for a customer id (api/schemas.ts), which the verifier applies to `sub` too. */
const MAX_CUSTOMER_ID = 100;

function refuse(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

// Checked before the configuration: production may lack settings this command does not need.
if (process.env.NODE_ENV === 'production') {
  refuse("Refused: NODE_ENV=production. In production the shop's identity provider issues customer tokens; this command is for development and tests.");
}

let args;
try {
  args = parseArgs({ options: { 'expires-in': { type: 'string', default: 'PT1H' } }, allowPositionals: true });
} catch (err) {
  refuse(`${(err as Error).message}\n${USAGE}`);
}

const [customerId, ...extra] = args.positionals;
if (customerId === undefined) refuse(`The customer id is missing.\n${USAGE}`);
if (extra.length > 0) refuse(`One customer id only (got also ${extra.join(' ')}).\n${USAGE}`);
if (customerId.trim() === '') refuse('The customer id must not be empty.');
if (customerId.length > MAX_CUSTOMER_ID) refuse(`The customer id must be at most ${MAX_CUSTOMER_ID} characters (it has ${customerId.length}).`);
if (!isStorableText(customerId)) refuse('The customer id must not contain NUL characters or unpaired UTF-16 surrogates.');

let tokens;
try {
  tokens = loadConfig().auth.customerTokens;
} catch (err) {
  if (err instanceof ConfigError) refuse(err.message);
  throw err;
}
if (tokens?.secret === undefined) {
  refuse(
    'Refused: customer tokens come from your identity provider (CUSTOMER_JWT_JWKS_URL is set, CUSTOMER_JWT_SECRET is not), so there is no secret to sign with.',
  );
}

// Whole seconds, as JWTs count time: exp = iat + the duration.
const iat = Math.floor(Date.now() / 1000);
let exp: number;
try {
  exp = Math.floor(addDuration(new Date(iat * 1000), args.values['expires-in']).getTime() / 1000);
} catch (err) {
  refuse(`--expires-in: ${(err as Error).message}`);
}
if (exp <= iat) refuse(`--expires-in must be at least one second (got ${args.values['expires-in']}).`);

const token = await new SignJWT()
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject(customerId)
  .setIssuer(tokens.issuer)
  .setAudience(tokens.audience)
  .setIssuedAt(iat)
  .setExpirationTime(exp)
  .sign(new TextEncoder().encode(tokens.secret));
process.stdout.write(`${token}\n`);
