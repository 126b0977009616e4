// DATA_DIR holds the embedded database and the private Redis (its data and its
// socket): this user's alone. mkdir's mode only applies to a directory it creates, so
// one that already exists (made by hand, by an older version, by a volume) is
// tightened here too.
import { chmod, mkdir, stat } from 'node:fs/promises';
import type { Logger } from './logger.js';

export const DATA_DIR_MODE = 0o700;

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** Creates the data directory if needed and makes it readable by its owner only. */
export async function prepareDataDir(dataDir: string, logger: Logger): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  const { mode } = await stat(dataDir);
  if ((mode & 0o777) === DATA_DIR_MODE) return;
  try {
    await chmod(dataDir, DATA_DIR_MODE);
    logger.info({ dataDir, was: octal(mode), now: octal(DATA_DIR_MODE) }, 'DATA_DIR was open to other users: restricted to its owner');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    // Another user's directory: that user can read it whatever we do.
    logger.warn(
      { dataDir, mode: octal(mode) },
      'DATA_DIR belongs to another user and cannot be restricted to this one: give the service a directory of its own',
    );
  }
}
