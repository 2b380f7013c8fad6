/**
 * Serving a finished bundle, shared by `GET /v1/audit/exports/{id}/bundle` and
 * the console's download link: the download is recorded (ExportDownloaded) before
 * a byte goes out, and a bundle that is gone answers 404 without an event.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { hexToBytes } from "@noble/hashes/utils.js";
import { base64 } from "@scure/base";
import { handle } from "../../../events/handle.ts";
import type { EventStore } from "../../../events/store.ts";
import type { EventMetadata } from "../../../events/types.ts";
import { AppError } from "../../http/errors.ts";
import { decideDownload, exportEvolver, exportStream } from "./export.ts";
import { bundlePath } from "./job.ts";

export async function bundleDownload(
  store: EventStore,
  dir: string,
  id: string,
  meta: EventMetadata,
): Promise<{ body: ReadableStream<Uint8Array>; headers: Record<string, string> }> {
  const path = bundlePath(dir, id);
  const size = await stat(path).then(
    (s) => s.size,
    () => null,
  );
  const done = await handle(
    store,
    exportStream(id),
    exportEvolver,
    (s) => {
      // Checked before the event: a download that cannot happen is not recorded.
      if (s.status === "completed" && size === null) {
        throw new AppError("not_found", "The bundle is no longer on the server; request a new export");
      }
      return decideDownload(s, id);
    },
    meta,
  );
  return {
    body: Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>,
    headers: {
      "Content-Type": "application/x-tar",
      "Content-Length": String(size),
      "Content-Disposition": `attachment; filename="vigil-export-${id}.tar"`,
      "Repr-Digest": `sha-256=:${base64.encode(hexToBytes(done.state.sha256!))}:`,
      "Cache-Control": "no-store",
    },
  };
}
