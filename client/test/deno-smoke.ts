/**
 * Run by client.test.ts under Deno (network to the test server only): the
 * client needs nothing but fetch. Prints what it saw as one JSON line.
 */
import { createVigilClient, VigilError } from "../src/index.ts";

const [base, email, password] = Deno.args as [string, string, string];
const vigil = createVigilClient({ baseUrl: base });
const refused = await vigil.login(email, "not-the-password").catch((e: unknown) => e);
await vigil.login(email, password);
const me = await vigil.me();
console.log(
  JSON.stringify({
    email: me.email,
    typedError: refused instanceof VigilError ? refused.code : String(refused),
    runtime: typeof Deno === "object" ? "deno" : "other",
  }),
);
