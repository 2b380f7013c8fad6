CREATE TABLE "custody_vaults" (
	"vault_id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"ciphersuite" text NOT NULL,
	"threshold" integer NOT NULL,
	"participants" integer NOT NULL,
	"status" text NOT NULL,
	"status_reason" text,
	"group_public_key" text,
	"key_method" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"version" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "custody_guardians" (
	"vault_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"identifier" text NOT NULL,
	"joined_at" timestamp (3) with time zone NOT NULL,
	"removed_at" timestamp (3) with time zone,
	CONSTRAINT "custody_guardians_pk" PRIMARY KEY("vault_id","user_id")
);
--> statement-breakpoint
CREATE INDEX "custody_guardians_user_idx" ON "custody_guardians" USING btree ("user_id");
--> statement-breakpoint
CREATE TABLE "custody_invitations" (
	"invitation_id" uuid PRIMARY KEY NOT NULL,
	"vault_id" uuid NOT NULL,
	"code_hash" text NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"redeemed_by" uuid,
	"redeemed_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "custody_invitations_code_hash_key" ON "custody_invitations" USING btree ("code_hash");
--> statement-breakpoint
CREATE TABLE "custody_commitments" (
	"commitment" text PRIMARY KEY NOT NULL,
	"tx_id" uuid NOT NULL,
	"round" integer NOT NULL,
	"user_id" uuid NOT NULL,
	"seen_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "custody_transactions" (
	"tx_id" uuid PRIMARY KEY NOT NULL,
	"vault_id" uuid NOT NULL,
	"status" text NOT NULL,
	"round" integer NOT NULL,
	"proposed_by" uuid NOT NULL,
	"proposed_at" timestamp (3) with time zone NOT NULL,
	"version" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "custody_transactions_vault_idx" ON "custody_transactions" USING btree ("vault_id","status");
