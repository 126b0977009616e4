// PGlite's initdb costs 2-3 s of CPU per database on a CI machine, and the suite opens
// hundreds (every test file, every service a kill-point scenario starts): tests start from
// a copy of one migrated database instead, built once per run of the migrations. The path
// from nothing (initdb, then every migration) stays under test where it is the subject:
// test/system/start (the README's first start), test/system/data-dir and test/db/migrations.
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../../infra/database.js';
import { applyMigrations } from '../../infra/migrations.js';
import { templateKey } from './template-key.js';

type Template = { dataDir: string; tarball: string };

let built: Promise<Template> | undefined;

async function exists(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    () => false,
  );
}

/**
 * The migrated template of this run's migrations under the system's temp directory: built
 * in a directory of its own and renamed into place, so two Jest workers building it at once
 * leave one whole template (the loser's copy is removed).
 */
function template(): Promise<Template> {
  built ??= (async () => {
    const home = path.join(tmpdir(), `order-saga-pglite-template-${await templateKey('pglite')}`);
    const result = { dataDir: path.join(home, 'pglite'), tarball: path.join(home, 'pglite.tar') };
    if (await exists(path.join(home, 'ready'))) return result;
    const work = await mkdtemp(path.join(tmpdir(), 'order-saga-pglite-template-build-'));
    try {
      const dataDir = path.join(work, 'pglite');
      const db = await openDatabase({ kind: 'pglite', dataDir });
      await applyMigrations(db.sql);
      await db.close();
      const pglite = await PGlite.create(dataDir);
      const dump = await pglite.dumpDataDir('none');
      await pglite.close();
      await writeFile(path.join(work, 'pglite.tar'), Buffer.from(await dump.arrayBuffer()));
      await rm(`${dataDir}.lock`, { force: true });
      await writeFile(path.join(work, 'ready'), '');
      await rename(work, home).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    return result;
  })();
  return built;
}

/** Puts a migrated PGlite database where a service with DATA_DIR=`dataDir` looks for its own. */
export async function seedPgliteDataDir(dataDir: string): Promise<void> {
  const { dataDir: from } = await template();
  await mkdir(dataDir, { recursive: true });
  await cp(from, path.join(dataDir, 'pglite'), { recursive: true });
}

/** A migrated in-memory database's contents, for openDatabase({ kind: 'pglite', dataDir: 'memory://', from }). */
export async function migratedPgliteTarball(): Promise<Blob> {
  const { tarball } = await template();
  return new Blob([await readFile(tarball)]);
}
