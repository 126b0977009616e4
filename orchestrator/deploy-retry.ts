// Deploy at start, retried while the engine is unavailable. A Camunda 8 cluster
// answers 503 UNAVAILABLE until its partitions have leaders, which can be after its
// readiness check turns healthy, and the SDK does not retry that answer for a
// deployment. Deploying again is safe: an unchanged model makes no new version.
// Any other failure (a model the engine refuses, wrong credentials) ends at once.
import type { Logger } from '../infra/logger.js';
import { deployModels } from './deploy.js';
import { EngineError, type DeployedProcess, type DeployResource, type Engine } from './engine.js';

export type DeployRetry = {
  /** How long to keep trying, as configured (DEPLOY_RETRY_FOR): ISO 8601 for messages, ms to count. */
  retryFor: { iso: string; ms: number };
  /** Pause after the first failure, doubled after each one up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
};

/** Worth another attempt: the engine could not take the request now, not "this request is wrong". */
const RETRYABLE = new Set(['UNAVAILABLE', 'RESOURCE_EXHAUSTED']);

export async function deployModelsWithRetry(engine: Engine, models: DeployResource[], logger: Logger, retry: DeployRetry): Promise<DeployedProcess[]> {
  const { initialMs, maxMs } = retry.backoff ?? { initialMs: 1_000, maxMs: 15_000 };
  const deadline = Date.now() + retry.retryFor.ms;
  const resources = models.map((m) => `bpmn/${m.name}`).join(', ');
  let pauseMs = initialMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await deployModels(engine, models, logger);
    } catch (err) {
      if (!(err instanceof EngineError) || !RETRYABLE.has(err.code)) throw err;
      const left = deadline - Date.now();
      if (left <= 0) {
        const failure = new EngineError(
          err.code,
          `could not deploy ${resources}: the engine was still unavailable after ${attempt} attempts in DEPLOY_RETRY_FOR=${retry.retryFor.iso}; last answer: ${err.message}`,
        );
        failure.cause = err;
        throw failure;
      }
      const waitMs = Math.min(pauseMs, left);
      logger.warn(
        { err, attempt, retryInMs: waitMs, retryForLeftMs: left, code: err.code },
        `deploy attempt ${attempt} failed (${err.code}); retrying in ${waitMs} ms`,
      );
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      pauseMs = Math.min(pauseMs * 2, maxMs);
    }
  }
}
