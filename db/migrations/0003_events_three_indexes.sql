-- Three indexes on events instead of four: the stream key becomes the primary
-- key (it was a separate unique constraint beside a primary key on id), and the
-- read-order index is unique. Every index costs work on every append.
ALTER TABLE "events" DROP CONSTRAINT "events_stream_version_key";--> statement-breakpoint
DROP INDEX "events_tx_id_id_idx";--> statement-breakpoint
ALTER TABLE "events" DROP CONSTRAINT "events_pkey";--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_pkey" PRIMARY KEY("stream_id","stream_version");--> statement-breakpoint
CREATE UNIQUE INDEX "events_tx_id_id_key" ON "events" USING btree ("tx_id","id");
