import { it } from "vitest";
import { simulateStory, simulatePersonas, simulateTurn } from "../../src/llm/simulated-text.js";
import type { HistoryEntry } from "../../src/protocol/schemas.js";
it("demo", async () => {
  const scenario = { title: "The loan meeting", premise: "A small bakery owner meets a bank advisor to ask for a loan to buy a second oven." };
  const roles = [{ id: "owner", role: "Bakery owner", goal: "Get a loan approved for a second oven" }, { id: "advisor", role: "Bank advisor", goal: "Understand the risks before agreeing to anything" }];
  const story = simulateStory(scenario, roles, 3);
  const { personas } = simulatePersonas(scenario, story, roles, 3);
  const lines = [JSON.stringify(story, null, 1), JSON.stringify(personas)];
  const history: HistoryEntry[] = [];
  const max = 24;
  for (let n = 1; n <= max; n++) {
    const k = (n - 1) % 2;
    const me = personas[k]!, partner = personas[1 - k]!;
    const c = simulateTurn({ kind: "turn", conversation_id: "c9", sequence_number: n, story, persona: me, partner, history: history.slice(-40), turn: { number: n, max } }, 3);
    history.push({ agent_id: roles[k]!.id, speaker: me.name, text: c.message });
    lines.push(`${n} ${me.name} [${c.sentiment}] ${JSON.stringify(c.references)} ${c.message}`);
  }
  (await import("node:fs")).writeFileSync("/tmp/simx/out.txt", lines.join("\n"));
});
