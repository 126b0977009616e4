-- Signal events (docs/engine.md, "Signals"): the signal subscriptions of active instances
-- (catch events, boundary events, event sub-process starts), hosted by an element instance or,
-- for a process's event sub-processes, by the process instance; and the names of each process
-- version's signal start events (only the latest version's start instances).

-- AlterTable
ALTER TABLE "engine_process_definitions" ADD COLUMN "signal_start_names" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "engine_signal_subscriptions" (
    "key" BIGINT NOT NULL,
    "process_instance_key" BIGINT NOT NULL,
    "element_instance_key" BIGINT NOT NULL,
    "element_id" TEXT NOT NULL,
    "bpmn_process_id" TEXT NOT NULL,
    "signal_name" TEXT NOT NULL,

    CONSTRAINT "engine_signal_subscriptions_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "engine_signal_subscriptions_signal_name_idx" ON "engine_signal_subscriptions"("signal_name");

-- CreateIndex
CREATE INDEX "engine_signal_subscriptions_element_instance_key_idx" ON "engine_signal_subscriptions"("element_instance_key");
