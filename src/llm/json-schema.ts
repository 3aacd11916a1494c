/**
 * The JSON Schema of a zod schema, reshaped for engines that constrain generation with it:
 * every property required, no extra properties, and only the keywords such engines read
 * (OpenAI's strict `json_schema`, node-llama-cpp's JSON-schema grammar). What the engines cannot
 * enforce (number ranges, for instance) is still checked afterwards with the zod schema itself.
 *
 * Tuples: an array whose items are fixed one by one (`prefixItems`, e.g. one persona per agent,
 * each naming its own id) also carries `items` for any order, as zod writes it. node-llama-cpp's
 * grammar follows `prefixItems`; Ollama's (llama.cpp's converter) reads `items` first, so
 * `tuplesOnly` drops it where the tuple is the whole array; OpenAI's strict mode has no
 * `prefixItems` (closedSchema's `tuples: false`), and gets `items`.
 */
type Json = Record<string, unknown>;

const KEEP = new Set([
  "type",
  "properties",
  "items",
  "prefixItems",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "enum",
  "const",
  "description",
]);

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export function closedSchema(schema: Json, opts: { tuples?: boolean } = {}): Json {
  const tuples = opts.tuples ?? true;
  const inner = (s: unknown): unknown => (isObject(s) ? closedSchema(s, opts) : s);
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "anyOf" || k === "oneOf") out.oneOf = (v as unknown[]).map(inner);
    else if (!KEEP.has(k)) continue;
    else if (k === "properties" && isObject(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, inner(s)]));
    } else if (k === "items" && isObject(v)) out.items = closedSchema(v, opts);
    else if (k === "prefixItems" && Array.isArray(v)) {
      if (tuples) out.prefixItems = v.map(inner);
    } else out[k] = v;
  }
  if (isObject(out.properties)) {
    out.required = Object.keys(out.properties);
    out.additionalProperties = false;
  }
  return out;
}

/** the schema with `items` left out of every array that `prefixItems` fixes entirely (see above) */
export function tuplesOnly(schema: Json): Json {
  const walk = (v: unknown): unknown => (Array.isArray(v) ? v.map(walk) : isObject(v) ? tuplesOnly(v) : v);
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) out[k] = walk(v);
  if (Array.isArray(out.prefixItems) && out.maxItems === out.prefixItems.length) delete out.items;
  return out;
}
