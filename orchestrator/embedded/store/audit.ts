// The audit trail's retention (docs/engine.md, "Audit retention"): the audit rows and
// decision evaluations of instances that ended long enough ago are deleted, and the
// visits and job failures among them are folded into engine_element_stats in the same
// statement, so the ops page's figures are the rollup plus the rows still kept.
import type { SqlSession } from '../../../infra/database.js';
import { MULTI_INSTANCE_BODY } from '../multi-instance.js';

/** Buckets per doubling of (ms + 1): a bucket is 2^(1/8) wide, ~9 %. */
export const BUCKETS_PER_DOUBLING = 8;

/** SQL: the duration bucket of an interval `d` (floor(log2(ms + 1) * 8)); the same expression for kept and pruned visits. */
export const bucketOf = (d: string) =>
  // Clamped at 0 ms: a completion stamped by a transaction that began before the activation's committed.
  `floor(ln(greatest(extract(epoch FROM ${d})::float8 * 1000, 0) + 1) / ln(2) * ${BUCKETS_PER_DOUBLING})::int`;

/**
 * The duration a bucket stands for: the geometric middle of its bounds, in (ms + 1). Within
 * 2^(1/16) − 1 ≈ 4.4 % of (ms + 1) for any duration in the bucket.
 */
export function bucketMs(bucket: number): number {
  return Math.max(0, 2 ** ((bucket + 0.5) / BUCKETS_PER_DOUBLING) - 1);
}

/**
 * The q-quantile (0..1) of a histogram as percentile_cont computes it over the exact values
 * (interpolated between the two neighbouring ranks), each rank read as its bucket's duration.
 */
export function quantileOf(histogram: Map<number, number>, q: number): number | null {
  const buckets = [...histogram.entries()].filter(([, n]) => n > 0).sort(([a], [b]) => a - b);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return null;
  const rank = q * (total - 1);
  const at = (r: number) => {
    let seen = 0;
    for (const [b, n] of buckets) {
      seen += n;
      if (r < seen) return bucketMs(b);
    }
    return bucketMs(buckets[buckets.length - 1]![0]);
  };
  const lo = Math.floor(rank);
  const f = rank - lo;
  return f === 0 ? at(lo) : at(lo) * (1 - f) + at(lo + 1) * f;
}

export type PruneResult = { instances: number; auditRows: number; decisionEvaluations: number };

/**
 * One batch, one statement: takes up to `batch` ended instances whose audit trail is kept and
 * that ended more than `retentionMs` ago (oldest first, skipping those another pruner holds),
 * marks them pruned, deletes their audit rows and decision evaluations, and adds the deleted
 * visits (per element and kind: count, duration histogram) and job failures to
 * engine_element_stats. A row is deleted, and so counted, once: a crash rolls all of it back,
 * and a second pruner skips the instances or finds their rows gone.
 */
export async function pruneAuditBatch(sql: SqlSession, retentionMs: number, batch: number): Promise<PruneResult> {
  const [row] = await sql.query<{ instances: number; audit_rows: number; decision_evaluations: number }>(
    `WITH picked AS (
       SELECT key FROM engine_process_instances
        WHERE state <> 'ACTIVE' AND audit_pruned_at IS NULL AND ended_at <= now() - $1::float8 * interval '1 millisecond'
        ORDER BY ended_at LIMIT $2 FOR UPDATE SKIP LOCKED
     ), marked AS (
       UPDATE engine_process_instances i SET audit_pruned_at = now() FROM picked WHERE i.key = picked.key RETURNING i.key
     ), gone AS (
       DELETE FROM engine_audit a USING picked WHERE a.process_instance_key = picked.key
       RETURNING a.element_instance_key, a.definition_key, a.element_id, a.element_type, a.intent, a.at
     ), decisions AS (
       DELETE FROM engine_decision_evaluations d USING picked WHERE d.process_instance_key = picked.key RETURNING d.key
     ), visits AS (
       SELECT a.definition_key, a.element_id, a.element_type = '${MULTI_INSTANCE_BODY}' AS body,
              CASE WHEN c.at IS NULL THEN NULL ELSE ${bucketOf('c.at - a.at')} END AS bucket
       FROM gone a LEFT JOIN gone c ON c.element_instance_key = a.element_instance_key AND c.intent = 'ELEMENT_COMPLETED'
       WHERE a.intent = 'ELEMENT_ACTIVATED' AND a.element_type <> 'process'
     ), hist AS (
       SELECT definition_key, element_id, body, sum(n) AS completed, jsonb_object_agg(bucket::text, n) AS histogram
       FROM (SELECT definition_key, element_id, body, bucket, count(*) AS n FROM visits WHERE bucket IS NOT NULL GROUP BY 1, 2, 3, 4) b
       GROUP BY 1, 2, 3
     ), keyed AS (
       SELECT definition_key, element_id, body, sum(failed) AS failures
       FROM (SELECT definition_key, element_id, body, 0 AS failed FROM visits
             UNION ALL
             SELECT definition_key, element_id, element_type = '${MULTI_INSTANCE_BODY}', 1 FROM gone WHERE intent = 'JOB_FAILED') k
       GROUP BY 1, 2, 3
     ), folded AS (
       INSERT INTO engine_element_stats AS s (definition_key, element_id, body, completed, job_failures, histogram)
       SELECT k.definition_key, k.element_id, k.body, COALESCE(h.completed, 0), k.failures, COALESCE(h.histogram, '{}'::jsonb)
       FROM keyed k LEFT JOIN hist h ON h.definition_key = k.definition_key AND h.element_id = k.element_id AND h.body = k.body
       ORDER BY 1, 2, 3
       ON CONFLICT (definition_key, element_id, body) DO UPDATE SET
         completed = s.completed + EXCLUDED.completed,
         job_failures = s.job_failures + EXCLUDED.job_failures,
         histogram = (SELECT COALESCE(jsonb_object_agg(m.k, m.n), '{}'::jsonb)
                      FROM (SELECT u.k, sum(u.v::bigint) AS n
                            FROM (SELECT key AS k, value AS v FROM jsonb_each_text(s.histogram)
                                  UNION ALL SELECT key, value FROM jsonb_each_text(EXCLUDED.histogram)) u
                            GROUP BY u.k) m),
         updated_at = now()
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM marked)::int AS instances, (SELECT count(*) FROM gone)::int AS audit_rows,
            (SELECT count(*) FROM decisions)::int AS decision_evaluations, (SELECT count(*) FROM folded)::int AS stats`,
    [retentionMs, batch],
  );
  return { instances: row?.instances ?? 0, auditRows: row?.audit_rows ?? 0, decisionEvaluations: row?.decision_evaluations ?? 0 };
}
