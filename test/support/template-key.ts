// Names a migrated template database (test/support/pglite-template.ts, database.ts) after
// what it holds: a change to any migration, or to PGlite, builds a new one.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readMigrations } from '../../infra/migrations.js';

export async function templateKey(kind: 'pglite' | 'postgres'): Promise<string> {
  const hash = createHash('sha256').update(kind);
  if (kind === 'pglite') {
    const { version } = JSON.parse(await readFile(path.resolve('node_modules/@electric-sql/pglite/package.json'), 'utf8')) as { version: string };
    hash.update(version);
  }
  for (const m of await readMigrations()) hash.update(`${m.name}:${m.checksum}\n`);
  return hash.digest('hex').slice(0, 16);
}
