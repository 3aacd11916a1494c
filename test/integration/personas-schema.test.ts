/**
 * The personas a manager's model writes: the schema each engine gets fixes one persona per agent,
 * in the agents' order, each with its own id — so a small model cannot name one agent twice —
 * while what comes back is still accepted in any order. Checked where it matters: the grammar
 * node-llama-cpp builds from it, the `format` an Ollama-format server receives, and the strict
 * `json_schema` an OpenAI-format server receives (which has no tuples, so it gets the ids' enum).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { getLlamaOnce } from "../../src/llm/embedded.js";
import { closedSchema } from "../../src/llm/json-schema.js";
import { OllamaProvider } from "../../src/llm/ollama.js";
import { OpenAIProvider } from "../../src/llm/openai.js";
import { generateStructured } from "../../src/llm/structured.js";
import { personasSchemaFor } from "../../src/protocol/schemas.js";
import { startFakeOllama, type FakeOllama } from "../helpers/fake-ollama.js";
import { startFakeOpenAI, type FakeOpenAI } from "../helpers/fake-openai.js";

const IDS = ["host", "head", "researcher"];
const persona = (agent_id: string, name: string) => ({ agent_id, name, role: "panellist", traits: ["direct"], goals: ["be heard"], speaking_style: "plain" });
const story = { title: "The panel", setting: "A school hall in the evening.", characters: [{ name: "Person 1", role: "host" }, { name: "Person 2", role: "head" }], initial_situation: "The panel opens." };
const task = { kind: "personas" as const, scenario: { title: "A panel", premise: "A school decides on phones." }, story, roles: IDS.map((id) => ({ id, role: "panellist" })) };
const reply = (ids: string[]) => JSON.stringify({ personas: ids.map((id, i) => persona(id, `Person ${i + 1}`)) });
type Arr = { prefixItems?: Array<{ properties: { agent_id: { const?: string } } }>; items?: { properties: { agent_id: { enum?: string[] } } } };
const personasOf = (schema: unknown): Arr => (schema as { properties: { personas: Arr } }).properties.personas;

let ollama: FakeOllama;
let openai: FakeOpenAI;
beforeAll(async () => {
  ollama = await startFakeOllama({ models: ["qwen2.5:0.5b"] });
  openai = await startFakeOpenAI({ models: ["small"] });
});
afterAll(async () => {
  await ollama.close();
  await openai.close();
});

describe("the personas' schema", () => {
  it("node-llama-cpp's grammar from it allows each id once, in the agents' order", async () => {
    const llama = await getLlamaOnce();
    const grammar = await llama.createGrammarForJsonSchema(closedSchema(z.toJSONSchema(personasSchemaFor(IDS))) as never);
    const text = (grammar as unknown as { grammar: string }).grammar;
    // one rule per persona, each with its id as a literal, joined in order
    const idRule = (id: string) => new RegExp(`^(\\S+) ::= "\\\\"${id}\\\\""$`, "m").exec(text)?.[1];
    const rules = IDS.map(idRule);
    expect(rules.every((r) => r !== undefined)).toBe(true);
    const personaRule = (val: string) => new RegExp(`^(\\S+) ::= "\\{".*"\\\\"agent_id\\\\"" ":" \\[ \\]\\? ${val} `, "m").exec(text)?.[1];
    const order = rules.map((r) => personaRule(r!));
    expect(order.every((r) => r !== undefined)).toBe(true);
    expect(text).toMatch(new RegExp(`"\\[" \\S+ ${order[0]} \\S+ ${order[1]} \\S+ ${order[2]} \\S+ "\\]"`));
  });

  it("an Ollama-format server gets the tuple alone as format; an OpenAI-format server the ids' enum, strict", async () => {
    ollama.script.push({ kind: "reply", pieces: [reply(IDS)] });
    await generateStructured(new OllamaProvider({ host: ollama.url }), personasSchemaFor(IDS), { model: "qwen2.5:0.5b", options: {}, task, messages: [{ role: "user", content: "write them" }] });
    const format = personasOf(ollama.requests.find((r) => r.path === "/api/chat")!.body.format);
    expect(format.prefixItems?.map((p) => p.properties.agent_id.const)).toEqual(IDS);
    expect(format.items).toBeUndefined();

    openai.fallback = { kind: "reply", pieces: [reply(IDS)] };
    await generateStructured(new OpenAIProvider({ base_url: openai.url, api_key: "sk-test" }), personasSchemaFor(IDS), { model: "small", options: {}, task, messages: [{ role: "user", content: "write them" }] });
    const body = openai.requests.find((r) => r.path.endsWith("/chat/completions"))!.body as { response_format: { json_schema: { strict: boolean; schema: unknown } } };
    expect(body.response_format.json_schema.strict).toBe(true);
    const strict = personasOf(body.response_format.json_schema.schema);
    expect(strict.prefixItems).toBeUndefined();
    expect(strict.items?.properties.agent_id.enum).toEqual(IDS);
  });

  it("what comes back is accepted in any order, and refused when it names an agent twice", () => {
    const schema = personasSchemaFor(IDS);
    expect(schema.safeParse(JSON.parse(reply(["researcher", "host", "head"]))).success).toBe(true);
    const twice = schema.safeParse(JSON.parse(reply(["host", "host", "head"])));
    expect(twice.success).toBe(false);
  });
});
