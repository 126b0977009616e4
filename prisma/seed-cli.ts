// `npm run db:seed` (and `prisma db seed`): writes the demo catalog into the
// database named by DATABASE_URL, or the embedded one, if it has no products yet.
import { loadConfig } from '../infra/config.js';
import { openDatabase } from '../infra/database.js';
import { seedDemoCatalog } from './seed.js';

const config = loadConfig();
const db = await openDatabase(config.database);
try {
  const seeded = await seedDemoCatalog(db.prisma);
  console.log(seeded ? 'Seeded the demo catalog.' : 'The catalog already has products; nothing seeded.');
} finally {
  await db.close();
}
