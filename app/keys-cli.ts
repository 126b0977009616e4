// `npm run keys -- create|list|revoke`: API keys straight in the database, for an operator
// with database access (the bootstrap alternative to the admin token's POST /admin/api-keys),
// under the admin API's rules: its body schema, then domain/access/api-keys.ts. Results go
// to stdout (create: the token last, on its own line); a refused input is its field and
// message on stderr, exit 2; a failure (database unreachable or in use) exit 1.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { CreateApiKeyBody } from '../api/access-schemas.js';
import { fieldErrors } from '../api/validate.js';
import { apiKeyPage, createApiKey, revokeApiKey, type ApiKeyView } from '../domain/access/api-keys.js';
import { InvalidInputError, NotFoundError } from '../domain/errors.js';
import { MAX_PAGE_SIZE } from '../domain/paging.js';
import { ConfigError, loadConfig, type Config } from '../infra/config.js';
import { DatabaseLockedError, type Database } from '../infra/database.js';
import { prepareDatabase } from './start.js';

const USAGE = `Usage:
  npm run keys -- create --name <name> --scope <scope> [--scope <scope>…] [--business <id>] [--expires-at <ISO 8601 date-time>] [--json]
  npm run keys -- list
  npm run keys -- revoke <id>`;

/** The command-line option behind each field the admin API names. */
const OPTION_OF: Record<string, string> = { name: '--name', scopes: '--scope', businessId: '--business', expiresAt: '--expires-at' };

type FieldError = { field: string; message: string };

function refuse(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** One line per field: the admin API's name for it, the option that sets it, what is wrong. */
function fieldsMessage(errors: FieldError[]): string {
  const option = (field: string) => OPTION_OF[field.replace(/\[\d+\]$/, '')];
  return ['Refused:', ...errors.map((e) => `  ${e.field}${option(e.field) ? ` (${option(e.field)})` : ''}: ${e.message}`)].join('\n');
}

let parsed;
try {
  parsed = parseArgs({
    options: {
      name: { type: 'string' },
      scope: { type: 'string', multiple: true },
      business: { type: 'string' },
      'expires-at': { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
} catch (err) {
  refuse(`${(err as Error).message}\n${USAGE}`);
}
const { values, positionals } = parsed;
const [command, ...operands] = positionals;
const createOptions =
  values.name !== undefined || values.scope !== undefined || values.business !== undefined || values['expires-at'] !== undefined || values.json;
if (command !== 'create' && createOptions) refuse(`--name, --scope, --business, --expires-at and --json belong to create.\n${USAGE}`);
if (command === 'create' || command === 'list') {
  if (operands.length > 0) refuse(`${command} takes no operands (got ${operands.join(' ')}).\n${USAGE}`);
} else if (command === 'revoke') {
  if (operands.length !== 1) refuse(`revoke takes one key id.\n${USAGE}`);
} else {
  refuse(command === undefined ? USAGE : `Unknown command ${command}.\n${USAGE}`);
}

// The admin API's own body schema, so that a key made here obeys the same rules (checked before the database opens).
const body = (() => {
  if (command !== 'create') return undefined;
  const result = CreateApiKeyBody.safeParse({
    name: values.name ?? '',
    scopes: values.scope ?? [],
    businessId: values.business,
    expiresAt: values['expires-at'],
  });
  if (!result.success) refuse(fieldsMessage(fieldErrors(result.error.issues)));
  return result.data;
})();

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) refuse(err.message);
  throw err;
}

// Control characters in a name must not reach the terminal as such.
const printable = (s: string) => s.replace(/\p{Cc}/gu, (c) => JSON.stringify(c).slice(1, -1));

function table(keys: ApiKeyView[]): string {
  const rows = [
    ['ID', 'NAME', 'SCOPES', 'BUSINESS', 'CREATED', 'EXPIRES', 'REVOKED'],
    ...keys.map((k) => [k.id, printable(k.name), k.scopes.join(','), k.businessId ?? '-', k.createdAt, k.expiresAt ?? '-', k.revokedAt ?? '-']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  return rows.map((r) => line(r).trimEnd()).join('\n');
}

async function run(db: Database): Promise<string> {
  if (body) {
    const created = await createApiKey(db.prisma, { ...body, expiresAt: body.expiresAt === undefined ? undefined : new Date(body.expiresAt) });
    if (values.json) return JSON.stringify(created);
    const { token, ...key } = created;
    return `${table([key])}\n\nThe token, shown only now (send it as Authorization: Bearer <token>):\n${token}`;
  }
  if (command === 'revoke') return table([await revokeApiKey(db.prisma, operands[0]!)]);
  const keys: ApiKeyView[] = [];
  let cursor: string | undefined;
  do {
    const page = await apiKeyPage(db.prisma, { limit: MAX_PAGE_SIZE, cursor });
    keys.push(...page.apiKeys);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return table(keys);
}

// Nothing but the result on stdout: the few log lines of opening the database go to stderr.
const logger = pino({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, base: { service: 'order-saga' } }, pino.destination(2));
let db: Database | undefined;
let failure: { code: number; message: string } | undefined;
try {
  db = await prepareDatabase({ ...config, seedDemoData: false }, logger);
  process.stdout.write(`${await run(db)}\n`);
} catch (err) {
  if (err instanceof InvalidInputError) failure = { code: 2, message: fieldsMessage(err.errors) };
  else if (err instanceof NotFoundError) failure = { code: 2, message: fieldsMessage([{ field: err.field ?? 'id', message: err.message }]) };
  else {
    const hint =
      err instanceof DatabaseLockedError ? '\nThe embedded database belongs to a running service: stop the service first, or use POST /admin/api-keys.' : '';
    failure = { code: 1, message: `npm run keys failed: ${(err as Error).message}${hint}` };
  }
} finally {
  await db?.close();
}
if (failure) process.stderr.write(`${failure.message}\n`);
process.exit(failure?.code ?? 0);
