-- Decisions (DMN) for business rule tasks (docs/engine.md, "Decisions"). Each deployed DMN
-- file is a version of its decision requirements graph (DRG, the file's definitions id) with
-- the file's XML, and each decision in it a version of that decision. And every evaluation of
-- a decision a business rule task made, required decisions included: what Operate shows.
-- (No semicolon in these comments: `prisma migrate deploy` through the driver adapter splits the script at each one.)

-- CreateTable
CREATE TABLE "engine_decision_requirements" (
    "key" BIGINT NOT NULL,
    "decision_requirements_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "name" TEXT,
    "checksum" TEXT NOT NULL,
    "resource_name" TEXT NOT NULL,
    "xml" TEXT NOT NULL,
    "deployed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engine_decision_requirements_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "engine_decision_definitions" (
    "key" BIGINT NOT NULL,
    "decision_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "decision_name" TEXT,
    "decision_requirements_key" BIGINT NOT NULL,
    "decision_requirements_id" TEXT NOT NULL,
    "deployed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engine_decision_definitions_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "engine_decision_evaluations" (
    "key" BIGINT NOT NULL,
    "process_instance_key" BIGINT NOT NULL,
    "element_instance_key" BIGINT NOT NULL,
    "element_id" TEXT NOT NULL,
    "decision_key" BIGINT NOT NULL,
    "decision_id" TEXT NOT NULL,
    "decision_version" INTEGER NOT NULL,
    "decision_type" TEXT NOT NULL,
    "inputs" JSONB NOT NULL DEFAULT '[]',
    "matched_rules" JSONB NOT NULL DEFAULT '[]',
    "output" JSONB,
    "failure" TEXT,
    "evaluated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "engine_decision_evaluations_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "engine_decision_requirements_decision_requirements_id_versi_key" ON "engine_decision_requirements"("decision_requirements_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "engine_decision_definitions_decision_id_version_key" ON "engine_decision_definitions"("decision_id", "version");

-- CreateIndex
CREATE INDEX "engine_decision_definitions_decision_requirements_key_idx" ON "engine_decision_definitions"("decision_requirements_key");

-- CreateIndex
CREATE INDEX "engine_decision_evaluations_process_instance_key_key_idx" ON "engine_decision_evaluations"("process_instance_key", "key");
