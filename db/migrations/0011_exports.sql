-- Compliance exports (src/audit/exports). `audit_exports` is the inline
-- projection of the AuditExport* events; `audit_export_progress` is
-- operational: the export job writes how far it got (not a domain fact, so
-- not an event, and not rebuilt from the log).
CREATE TABLE "audit_exports" (
	"export_id" uuid PRIMARY KEY NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp (3) with time zone NOT NULL,
	"range_from" bigint NOT NULL,
	"range_to" bigint NOT NULL,
	"types" jsonb NOT NULL,
	"streams" jsonb NOT NULL,
	"format" text NOT NULL,
	"previous_size" bigint,
	"status" text NOT NULL,
	"events" bigint,
	"bytes" bigint,
	"sha256" text,
	"checkpoint_size" bigint,
	"latest_size" bigint,
	"proof" text,
	"error" text,
	"finished_at" timestamp (3) with time zone,
	"downloads" integer DEFAULT 0 NOT NULL,
	"last_downloaded_at" timestamp (3) with time zone,
	"version" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_exports_requested_at_idx" ON "audit_exports" USING btree ("requested_at","export_id");
--> statement-breakpoint
CREATE TABLE "audit_export_progress" (
	"export_id" uuid PRIMARY KEY NOT NULL,
	"done" bigint NOT NULL,
	"total" bigint NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
