CREATE TABLE "sent_emails" (
	"job_id" text PRIMARY KEY NOT NULL,
	"message_id" text NOT NULL,
	"sent_at" timestamp (3) with time zone NOT NULL
);
