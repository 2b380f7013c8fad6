CREATE TABLE "subject_keys" (
	"subject" text PRIMARY KEY NOT NULL,
	"wrapped" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"erased_at" timestamp (3) with time zone
);
--> statement-breakpoint
DROP INDEX "users_email_lower_key";
--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_lower_key" ON "users" USING btree (lower("email")) WHERE "email" <> '[erased]';
