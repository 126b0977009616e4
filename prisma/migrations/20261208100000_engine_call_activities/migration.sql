-- Call activities (docs/engine.md, "Call activities"): a child instance records the call
-- activity that started it (its process instance and element instance) and the root of its
-- call tree, which every event on the tree locks first (so a parent and its child are always
-- locked in the same order). NULL on instances nobody called.

-- AlterTable
ALTER TABLE "engine_process_instances" ADD COLUMN "parent_process_instance_key" BIGINT,
ADD COLUMN "parent_element_instance_key" BIGINT,
ADD COLUMN "root_process_instance_key" BIGINT;

-- CreateIndex
CREATE INDEX "engine_process_instances_parent_process_instance_key_idx" ON "engine_process_instances"("parent_process_instance_key");
