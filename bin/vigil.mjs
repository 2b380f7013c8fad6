#!/usr/bin/env node
// `npx vigil <command>`: Vigil's operations CLI (src/cli/main.ts), loaded
// through tsx's scoped loader as bin/vigil-verify.mjs does, so it prints only
// what the command prints: no npm banner in front of `--json` output.
import { tsImport } from "tsx/esm/api";

await tsImport("../src/cli/main.ts", import.meta.url);
