CREATE TABLE "wallets" (
	"wallet_id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"chain" text NOT NULL,
	"address" text NOT NULL,
	"linked_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "wallets_chain_address_key" ON "wallets" USING btree ("chain","address");
--> statement-breakpoint
CREATE INDEX "wallets_user_id_idx" ON "wallets" USING btree ("user_id");
--> statement-breakpoint
CREATE TABLE "governance_power" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"power" bigint NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "governance_proposals" (
	"proposal_id" uuid PRIMARY KEY NOT NULL,
	"proposer_id" uuid NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"kind" text NOT NULL,
	"choices" jsonb NOT NULL,
	"voting_starts_at" timestamp (3) with time zone NOT NULL,
	"voting_ends_at" timestamp (3) with time zone NOT NULL,
	"quorum_percent" integer NOT NULL,
	"threshold_percent" integer NOT NULL,
	"timelock_seconds" integer NOT NULL,
	"state" text NOT NULL,
	"snapshot_tx_id" text,
	"snapshot_id" bigint,
	"total_power" bigint,
	"result" jsonb,
	"timelock_ends_at" timestamp (3) with time zone,
	"timelock_ended" boolean NOT NULL DEFAULT false,
	"vetoes" jsonb NOT NULL DEFAULT '[]'::jsonb,
	"approvals" jsonb NOT NULL DEFAULT '[]'::jsonb,
	"cancel_reason" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"version" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "governance_proposals_state_idx" ON "governance_proposals" USING btree ("state","created_at");
--> statement-breakpoint
CREATE TABLE "governance_votes" (
	"vote_id" uuid PRIMARY KEY NOT NULL,
	"proposal_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"chain" text NOT NULL,
	"wallet" text NOT NULL,
	"choice" text NOT NULL,
	"power" bigint NOT NULL,
	"signed_at" bigint NOT NULL,
	"reason" text NOT NULL,
	"signature" text NOT NULL,
	"chain_id" text NOT NULL,
	"cast_at" timestamp (3) with time zone NOT NULL,
	"tx_id" text NOT NULL,
	"event_pos" bigint NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "governance_votes_proposal_user_key" ON "governance_votes" USING btree ("proposal_id","user_id");
--> statement-breakpoint
CREATE TABLE "governance_tallies" (
	"proposal_id" uuid NOT NULL,
	"choice" text NOT NULL,
	"power" bigint NOT NULL,
	"votes" integer NOT NULL,
	CONSTRAINT "governance_tallies_pkey" PRIMARY KEY("proposal_id","choice")
);
