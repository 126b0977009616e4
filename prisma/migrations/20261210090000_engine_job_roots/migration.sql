-- A job of an instance started by a call activity carries the root of its call tree, so that
-- answering a job locks that root first in the same single statement as before call activities
-- (docs/engine.md, "Call activities"). NULL for the jobs of instances nobody called.

-- AlterTable
ALTER TABLE "engine_jobs" ADD COLUMN "root_process_instance_key" BIGINT;

-- Backfill the jobs already open in call trees
UPDATE "engine_jobs" j SET "root_process_instance_key" = i."root_process_instance_key"
FROM "engine_process_instances" i
WHERE i."key" = j."process_instance_key" AND i."root_process_instance_key" IS NOT NULL;
