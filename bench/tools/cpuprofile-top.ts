/**
 * Sums a `.cpuprofile`'s self time per function and file and prints the top
 * entries: `tsx bench/tools/cpuprofile-top.ts <file.cpuprofile> [count]`.
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, countArg] = process.argv.slice(2);
if (!file) throw new Error("usage: cpuprofile-top <file.cpuprofile> [count]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
let idle = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const f = byId.get(id)!.callFrame;
  // Percentages are of busy time: how loaded the machine was says nothing about the code.
  if (f.functionName === "(idle)") {
    idle += dt;
    return;
  }
  total += dt;
  const where = f.url ? f.url.replace(/^.*node_modules\//, "").replace(/^.*?\/(src|db|bench)\//, "$1/") : "";
  const key = `${f.functionName || "(anonymous)"} ${where}${where ? `:${f.lineNumber + 1}` : ""}`;
  self.set(key, (self.get(key) ?? 0) + dt);
});
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(countArg ?? 20));
console.log(`busy ${(total / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms`);
for (const [key, us] of top) {
  console.log(
    `${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
  );
}
