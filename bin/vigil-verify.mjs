#!/usr/bin/env node
// The offline verifier of Vigil's export bundles (verifier/cli.ts). Node 20
// cannot run TypeScript by itself, so this launcher loads the verifier
// through tsx's scoped loader (a dependency of Vigil): the verifier shares the
// Merkle and signed-note code of the ledger instead of carrying copies.
import { tsImport } from "tsx/esm/api";

const { main } = await tsImport("../verifier/cli.ts", import.meta.url);
process.exitCode = await main(process.argv.slice(2));
