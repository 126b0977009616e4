import { Router } from 'express';
import type { Database } from '../../infra/database.js';
import { withinTime } from '../../infra/time-limit.js';

const READY_TIMEOUT_MS = 2_000;

const within = <T>(p: Promise<T>, what: string) => withinTime(p, READY_TIMEOUT_MS, `${what} timed out`);

/**
 * /health: the process is alive (liveness). /ready: it can do its work now — the
 * database answers and, when given, the engine does (readiness; 503 otherwise).
 */
export function healthRoutes(db: Database, engineCheck?: () => Promise<void>): Router {
  return Router()
    .get('/health', (_req, res) => {
      res.json({ status: 'ok' });
    })
    .get('/ready', async (_req, res) => {
      const [database, engine] = await Promise.all([
        within(db.ping(), 'database ping').then(
          () => 'up',
          () => 'down',
        ),
        engineCheck
          ? within(engineCheck(), 'engine ping').then(
              () => 'up',
              () => 'down',
            )
          : Promise.resolve(undefined),
      ]);
      const ready = database === 'up' && engine !== 'down';
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', database: db.kind, ...(engine ? { engine } : {}) });
    });
}
