-- Signal events (docs/engine.md, "Signals"): the signal subscriptions of active instances
-- (catch events, boundary events, event sub-process starts), hosted by an element instance or,
-- for the event sub-processes of a process, by the process instance. And the names of the signal
-- start events of each process version (only the latest version starts instances).

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
