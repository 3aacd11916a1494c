/**
 * A short reading of V8 CPU profiles (node --cpu-prof): where each process spent its time, by
 * package or file and by function (self time), idle left out.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const where = (url: string): string => {
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const own = /\/(dist|\.bench-build)\/(.*)$/.exec(url);
  return own ? (own[2] as string) : url || "(native)";
};

/** the `top` heaviest files and functions of one profile, as lines of text */
export function summarize(file: string, top = 12): string[] {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const files = new Map<string, number>();
  const fns = new Map<string, number>();
  let busy = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id);
    const us = p.timeDeltas[i] ?? 0;
    if (!n || n.callFrame.functionName === "(idle)") return;
    busy += us;
    const f = where(n.callFrame.url);
    files.set(f, (files.get(f) ?? 0) + us);
    const fn = `${n.callFrame.functionName || "(anonymous)"} ${f}:${n.callFrame.lineNumber + 1}`;
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  });
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `    ${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`);
  return [`${path.basename(file)}: ${(busy / 1000).toFixed(0)} ms busy`, "  by file:", ...rows(files), "  by function (self):", ...rows(fns)];
}

/** every profile in `dir`, summarized */
export function summarizeDir(dir: string, top = 12): string {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => summarize(path.join(dir, f), top).join("\n"))
    .join("\n\n");
}
