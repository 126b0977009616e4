-- Start events (docs/engine.md, "Start events"): the timers of the latest version's timer start
-- events, which start a new instance when they fire, and which instances a message start event
-- started under a correlation key (Zeebe: one active instance per process and correlation key).

-- CreateTable
CREATE TABLE "engine_start_timers" (
    "key" BIGINT NOT NULL,
    "process_definition_key" BIGINT NOT NULL,
    "bpmn_process_id" TEXT NOT NULL,
    "element_id" TEXT NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "repetitions_left" INTEGER,
    "interval" TEXT,

    CONSTRAINT "engine_start_timers_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "engine_message_start_keys" (
    "process_instance_key" BIGINT NOT NULL,
    "bpmn_process_id" TEXT NOT NULL,
    "correlation_key" TEXT NOT NULL,

    CONSTRAINT "engine_message_start_keys_pkey" PRIMARY KEY ("process_instance_key")
);

-- CreateIndex
CREATE INDEX "engine_start_timers_due_at_idx" ON "engine_start_timers"("due_at");

-- CreateIndex
CREATE INDEX "engine_start_timers_bpmn_process_id_idx" ON "engine_start_timers"("bpmn_process_id");

-- CreateIndex
CREATE INDEX "engine_message_start_keys_bpmn_process_id_correlation_key_idx" ON "engine_message_start_keys"("bpmn_process_id", "correlation_key");
