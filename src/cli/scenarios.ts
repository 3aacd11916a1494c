/**
 * `dialogue scenarios`: the default scene and the scenarios `run --scenario <name>` takes (config/<name>.json), each
 * read as `run` would read it (over config/default.json): its title, its agents, its turn order,
 * whether a person takes part, and the extra cast `--agents N` draws on. Reads no Redis.
 */
import { Command } from "commander";
import { table } from "../analysis/format.js";
import { DialogueError } from "../errors/index.js";
import { listScenarios, load, resolveScenario } from "../config/load.js";
import { out } from "./conversation.js";

interface ScenarioRow {
  name: string;
  file: string;
  title: string;
  agents: Array<{ id: string; role: string; kind: "model" | "human" }>;
  /** more agents `--agents N` can add, in order */
  cast: string[];
  turn_order: string;
  max_turns: number;
  duration_seconds: number;
}

function read(name: string): ScenarioRow | { name: string; file: string; error: string } {
  const file = resolveScenario(name);
  // as `run --scenario` reads it, with no environment of this shell's (no DIALOGUE_CONFIG)
  const { config, problems } = load({ scenario: name, env: {} });
  if (!config) return { name, file, error: problems.map((p) => `${p.path}: ${p.message}`).join("; ") };
  return {
    name,
    file,
    title: config.scenario.title,
    agents: config.agents.map((a) => ({ id: a.id, role: a.role, kind: a.kind === "human" ? "human" : "model" })),
    cast: config.cast.filter((c) => !config.agents.some((a) => a.id === c.id)).map((c) => c.id),
    turn_order: config.conversation.turn_order,
    max_turns: config.limits.max_turns,
    duration_seconds: config.limits.duration_seconds,
  };
}

export function scenariosCommand(): Command {
  const cmd = new Command("scenarios")
    .description("list the scenarios run --scenario <name> takes: title, agents, turn order, limits")
    .option("--json", "one JSON object per line")
    .addHelpText(
      "after",
      `
Each is a file config/<name>.json, layered over config/default.json. A file of your own works too:
dialogue run --scenario ./my-scene.json (or --config). --agents N adds agents from a scenario's cast.

Examples:
  dialogue scenarios
  dialogue run --scenario town-hall --provider simulated --max-turns 12`,
    );
  return cmd.action((opts: { json?: boolean }) => {
    // the default scene (config/default.json: what `run` plays with no --scenario) first
    const rows = ["default", ...listScenarios().sort()].map(read);
    if (rows.length === 0) throw new DialogueError("no scenario found", 1, "the scenarios are the .json files of the package's config/ folder: reinstall it");
    if (opts.json) {
      for (const r of rows) out(JSON.stringify(r));
      return;
    }
    const cells = rows.map((r) => {
      if ("error" in r) return [r.name, `unreadable: ${r.error}`];
      const agents = r.agents.map((a) => (a.kind === "human" ? `${a.id} (a person)` : a.id)).join(", ");
      const more = r.cast.length > 0 ? ` (+${r.cast.length} with --agents)` : "";
      return [r.name === "default" ? "default (no --scenario)" : r.name, r.title, `${r.agents.length} agents${more}: ${agents}`, r.turn_order, `${r.max_turns} turns, ${r.duration_seconds} s`];
    });
    out(table([["NAME", "TITLE", "AGENTS", "TURN ORDER", "LIMITS"], ...cells], ""));
  });
}
