-- The ledger (events/ledger): a dense position per event in log order, the
-- RFC 6962 tree's complete subtrees, signed checkpoints and their keys.
CREATE TABLE "ledger_entries" (
	"position" bigint PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"log_tx_id" xid8 NOT NULL,
	"log_id" bigint NOT NULL,
	CONSTRAINT "ledger_entries_event_id_key" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "ledger_nodes" (
	"level" smallint NOT NULL,
	"idx" bigint NOT NULL,
	"hash" bytea NOT NULL,
	CONSTRAINT "ledger_nodes_pkey" PRIMARY KEY("level","idx")
);
--> statement-breakpoint
CREATE TABLE "ledger_checkpoints" (
	"tree_size" bigint PRIMARY KEY NOT NULL,
	"root_hash" bytea NOT NULL,
	"note" text NOT NULL,
	"key_id" text NOT NULL,
	"signed_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"public_key" bytea NOT NULL,
	"secret_key_encrypted" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"retired_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE INDEX "ledger_checkpoints_signed_at_idx" ON "ledger_checkpoints" USING btree ("signed_at");
