/** `keys rotate-checkpoint`: a new checkpoint signing key; the old one is retired (it still verifies). */
import { checkpointKeysFor } from "../audit/feature.ts";
import type { AccessCliDeps } from "./access.ts";

export async function cmdKeysRotateCheckpoint(d: AccessCliDeps): Promise<number> {
  const deps = await d.authDeps();
  const keys = checkpointKeysFor(deps);
  const before = await keys.list();
  const key = await keys.rotate();
  const retired = before.filter((k) => k.retiredAt === null).map((k) => k.keyId);
  d.out(`retired: ${retired.length ? retired.join(", ") : "(none)"}`);
  d.out(`new checkpoint key ${key.keyId}; verifier key:`);
  d.out(key.verifierKey);
  return 0;
}
