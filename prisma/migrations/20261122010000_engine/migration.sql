-- CreateTable
CREATE TABLE "engine_process_definitions" (
    "key" BIGINT NOT NULL,
    "bpmn_process_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "checksum" TEXT NOT NULL,
    "resource_name" TEXT NOT NULL,
    "xml" TEXT NOT NULL,
    "message_start_names" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "deployed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engine_process_definitions_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "engine_process_instances" (
    "key" BIGINT NOT NULL,
    "definition_key" BIGINT NOT NULL,
    "bpmn_process_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "variables" JSONB NOT NULL DEFAULT '{}',
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "engine_process_instances_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "engine_element_instances" (
    "key" BIGINT NOT NULL,
    "process_instance_key" BIGINT NOT NULL,
    "element_id" TEXT NOT NULL,
    "element_type" TEXT NOT NULL,
    "flow_scope_key" BIGINT NOT NULL,
    "state" TEXT NOT NULL,
    "variables" JSONB NOT NULL DEFAULT '{}',
    "data" JSONB NOT NULL DEFAULT '{}',
    "activated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engine_element_instances_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "engine_jobs" (
    "key" BIGINT NOT NULL,
    "process_instance_key" BIGINT NOT NULL,
    "element_instance_key" BIGINT NOT NULL,
    "element_id" TEXT NOT NULL,
    "bpmn_process_id" TEXT NOT NULL,
    "definition_key" BIGINT NOT NULL,
    "type" TEXT NOT NULL,
    "retries" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "worker" TEXT,
    "deadline" TIMESTAMPTZ(3),
    "retry_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "custom_headers" JSONB NOT NULL DEFAULT '{}',
    "error_message" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engine_jobs_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "engine_message_subscriptions" (
    "key" BIGINT NOT NULL,
    "process_instance_key" BIGINT NOT NULL,
    "element_instance_key" BIGINT NOT NULL,
    "element_id" TEXT NOT NULL,
    "bpmn_process_id" TEXT NOT NULL,
    "message_name" TEXT NOT NULL,
    "correlation_key" TEXT NOT NULL,
    "interrupting" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "engine_message_subscriptions_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "engine_messages" (
    "key" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "correlation_key" TEXT NOT NULL,
    "message_id" TEXT,
    "variables" JSONB NOT NULL DEFAULT '{}',
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "published_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "correlated_process_ids" TEXT[] DEFAULT ARRAY[]::TEXT[],

    CONSTRAINT "engine_messages_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "engine_timers" (
    "key" BIGINT NOT NULL,
    "process_instance_key" BIGINT NOT NULL,
    "element_instance_key" BIGINT NOT NULL,
    "element_id" TEXT NOT NULL,
    "due_at" TIMESTAMPTZ(3) NOT NULL,
    "repetitions_left" INTEGER,
    "interval" TEXT,
    "interrupting" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "engine_timers_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "engine_incidents" (
    "key" BIGINT NOT NULL,
    "process_instance_key" BIGINT NOT NULL,
    "element_instance_key" BIGINT NOT NULL,
    "element_id" TEXT NOT NULL,
    "bpmn_process_id" TEXT NOT NULL,
    "job_key" BIGINT,
    "error_type" TEXT NOT NULL,
    "error_message" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(3),

    CONSTRAINT "engine_incidents_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "engine_audit" (
    "id" BIGSERIAL NOT NULL,
    "process_instance_key" BIGINT NOT NULL,
    "element_instance_key" BIGINT NOT NULL,
    "definition_key" BIGINT NOT NULL,
    "element_id" TEXT NOT NULL,
    "element_type" TEXT NOT NULL,
    "intent" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engine_audit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "engine_process_definitions_bpmn_process_id_version_key" ON "engine_process_definitions"("bpmn_process_id", "version");

-- CreateIndex
CREATE INDEX "engine_process_instances_state_bpmn_process_id_idx" ON "engine_process_instances"("state", "bpmn_process_id");

-- CreateIndex
CREATE INDEX "engine_process_instances_definition_key_state_idx" ON "engine_process_instances"("definition_key", "state");

-- CreateIndex
CREATE INDEX "engine_element_instances_process_instance_key_idx" ON "engine_element_instances"("process_instance_key");

-- CreateIndex
CREATE INDEX "engine_element_instances_element_id_state_idx" ON "engine_element_instances"("element_id", "state");

-- CreateIndex
CREATE INDEX "engine_jobs_type_state_retry_at_idx" ON "engine_jobs"("type", "state", "retry_at");

-- CreateIndex
CREATE INDEX "engine_jobs_element_instance_key_idx" ON "engine_jobs"("element_instance_key");

-- CreateIndex
CREATE INDEX "engine_jobs_process_instance_key_idx" ON "engine_jobs"("process_instance_key");

-- CreateIndex
CREATE INDEX "engine_message_subscriptions_message_name_correlation_key_idx" ON "engine_message_subscriptions"("message_name", "correlation_key");

-- CreateIndex
CREATE INDEX "engine_message_subscriptions_element_instance_key_idx" ON "engine_message_subscriptions"("element_instance_key");

-- CreateIndex
CREATE INDEX "engine_messages_name_correlation_key_expires_at_idx" ON "engine_messages"("name", "correlation_key", "expires_at");

-- CreateIndex
CREATE INDEX "engine_timers_due_at_idx" ON "engine_timers"("due_at");

-- CreateIndex
CREATE INDEX "engine_timers_element_instance_key_idx" ON "engine_timers"("element_instance_key");

-- CreateIndex
CREATE INDEX "engine_incidents_state_bpmn_process_id_idx" ON "engine_incidents"("state", "bpmn_process_id");

-- CreateIndex
CREATE INDEX "engine_incidents_process_instance_key_idx" ON "engine_incidents"("process_instance_key");

-- CreateIndex
CREATE INDEX "engine_audit_process_instance_key_id_idx" ON "engine_audit"("process_instance_key", "id");

-- CreateIndex
CREATE INDEX "engine_audit_definition_key_element_id_intent_idx" ON "engine_audit"("definition_key", "element_id", "intent");


-- Keys: handed out in blocks of 1000 per process (orchestrator/embedded/keys.ts).
CREATE SEQUENCE "engine_key_seq" INCREMENT BY 1000 START WITH 2251799813685248;

-- Zeebe: a messageId is unique per name and correlation key while the message is buffered.
CREATE UNIQUE INDEX "engine_messages_id_unique" ON "engine_messages"("name", "correlation_key", "message_id") WHERE "message_id" IS NOT NULL;
-- Job activation scans only activatable jobs of one type.
CREATE INDEX "engine_jobs_activatable_idx" ON "engine_jobs"("type", "retry_at") WHERE "state" = 'ACTIVATABLE';
