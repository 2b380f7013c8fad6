CREATE TABLE "alerts" (
	"alert_id" text PRIMARY KEY NOT NULL,
	"rule" text NOT NULL,
	"severity" text NOT NULL,
	"subject" text NOT NULL,
	"summary" text NOT NULL,
	"status" text NOT NULL,
	"event_ids" jsonb NOT NULL,
	"raised_at" timestamp (3) with time zone NOT NULL,
	"acknowledged_by" text,
	"acknowledged_at" timestamp (3) with time zone,
	"acknowledged_note" text,
	"resolved_by" text,
	"resolved_at" timestamp (3) with time zone,
	"resolved_note" text,
	"version" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ip_bans" (
	"ip" text PRIMARY KEY NOT NULL,
	"until" timestamp (3) with time zone NOT NULL,
	"reason" text NOT NULL,
	"failures" integer NOT NULL,
	"banned_at" timestamp (3) with time zone NOT NULL,
	"lifted_at" timestamp (3) with time zone,
	"lifted_by" text,
	"lift_reason" text,
	"version" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "security_signals" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"stream_id" text NOT NULL,
	"stream_version" bigint NOT NULL,
	"type" text NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"ip" text,
	"account" text
);
--> statement-breakpoint
CREATE INDEX "alerts_raised_at_idx" ON "alerts" USING btree ("raised_at","alert_id");--> statement-breakpoint
CREATE INDEX "security_signals_ip_idx" ON "security_signals" USING btree ("ip","at");--> statement-breakpoint
CREATE INDEX "security_signals_account_idx" ON "security_signals" USING btree ("account","at");--> statement-breakpoint
CREATE INDEX "security_signals_type_idx" ON "security_signals" USING btree ("type","at");