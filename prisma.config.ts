// Prisma CLI configuration. Prisma 6.19's JS schema engine (Wasm, bundled in
// the npm package) migrates through a driver adapter, so no engine binary is
// downloaded: the only hosts these machines reach are the npm registry and Debian's.
// Why Prisma 6, offline: docs/decisions/0004-prisma-6-offline.md
import { defineConfig } from 'prisma/config';
import { migrationAdapterFactory } from './prisma/cli-adapter.js';

// The datasource block needs a resolvable URL or the CLI falls back to
// downloading a query engine; generate never connects, so any value does.
process.env.DATABASE_URL ??= 'postgresql://localhost:5432/order_saga';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations', seed: 'tsx prisma/seed-cli.ts' },
  experimental: { adapter: true },
  engine: 'js',
  adapter: migrationAdapterFactory,
});
