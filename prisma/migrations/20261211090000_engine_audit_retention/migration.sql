-- Audit retention (docs/engine.md, "Audit retention"). An ended instance's audit rows and
-- decision evaluations are deleted once it ended more than ENGINE_AUDIT_RETENTION_DAYS ago.
-- The same statement folds the deleted visits into engine_element_stats, so the ops page's
-- per-element counts, p50/p95 and job failures survive the pruning.
-- The instance row stays, marked with audit_pruned_at.

-- AlterTable
ALTER TABLE "engine_process_instances" ADD COLUMN "audit_pruned_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "engine_element_stats" (
    "definition_key" BIGINT NOT NULL,
    "element_id" TEXT NOT NULL,
    "body" BOOLEAN NOT NULL,
    "completed" BIGINT NOT NULL DEFAULT 0,
    "job_failures" BIGINT NOT NULL DEFAULT 0,
    "histogram" JSONB NOT NULL DEFAULT '{}',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engine_element_stats_pkey" PRIMARY KEY ("definition_key","element_id","body")
);

-- Hand-written: the pruner's look-up, ended instances whose audit trail is still kept, oldest first
CREATE INDEX "engine_process_instances_prunable_idx" ON "engine_process_instances"("ended_at") WHERE "state" <> 'ACTIVE' AND "audit_pruned_at" IS NULL;
