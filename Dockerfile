# order-saga: one image for every role. ROLE=api (HTTP API, webhooks, queue
# consumers, recovery, deploys bpmn/ at start), ROLE=workers (job workers and
# /health), or unset = everything in one process. Both roles need DATABASE_URL and
# REDIS_URL. docker-compose.yml runs the whole stack on Camunda 8.8.
#
#   docker build -t order-saga .
#   docker run --rm -e ROLE=api -e DATABASE_URL=... -e REDIS_URL=... \
#     -e ADMIN_TOKEN=... -e SANDBOX_WEBHOOK_SECRET=... -e ENGINE=zeebe \
#     -e ZEEBE_REST_ADDRESS=http://... -p 3000:3000 order-saga
#
# There is no build step: the service runs its TypeScript through tsx (a
# production dependency, so the runtime stage needs no dev dependencies).

# Node.js 24 (an LTS line; package.json's engines: >= 22). The major is the one in .nvmrc,
# which CI uses too (test/deploy/node-version.test.ts checks that they agree).
ARG NODE_IMAGE=node:24-bookworm-slim

# --- deps: production node_modules and the generated Prisma client -------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false
# `npm ci` runs `prisma generate` (postinstall): it needs the schema and the Prisma
# config with the CLI adapter it imports. Nothing else, so code changes keep this
# layer cached.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma/schema.prisma prisma/cli-adapter.ts ./prisma/
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# --- runtime ------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
# What the service reads at run time, owned by root: the service user can read it,
# not change it. prisma/ brings the migrations (applied at start by the api role
# with DB_MIGRATE_ON_START=true, or by `npm run db:migrate`); bpmn/ the models.
COPY package.json package-lock.json tsconfig.json prisma.config.ts ./
COPY api/ ./api/
COPY app/ ./app/
COPY bpmn/ ./bpmn/
COPY domain/ ./domain/
COPY infra/ ./infra/
COPY integrations/ ./integrations/
COPY orchestrator/ ./orchestrator/
COPY prisma/ ./prisma/
COPY queues/ ./queues/
COPY workers/ ./workers/
COPY --from=deps /app/node_modules ./node_modules
COPY --from=deps /app/prisma/generated ./prisma/generated
# The one writable place, for the embedded default (PGlite in $DATA_DIR) when the
# image runs without DATABASE_URL; the api and workers roles write nothing here.
RUN mkdir -p /app/.data && chown node:node /app/.data
# `node` (uid 1000) comes with the official Node.js image.
USER node
EXPOSE 3000
# Liveness without curl: the image has node. /health answers once the service is
# listening, i.e. after migrations and the deploy at start.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM: the service stops taking jobs and requests and lets the ones in flight
# finish within SHUTDOWN_GRACE_MS (give the container at least that plus 5 s).
STOPSIGNAL SIGTERM
# Exec form: node is PID 1 and receives the signal itself (no shell in between).
CMD ["node", "--import", "tsx", "app/main.ts"]
