/**
 * The JSON Schema of a zod schema, reshaped for engines that constrain generation with it:
 * every property required, no extra properties, and only the keywords such engines read
 * (OpenAI's strict `json_schema`, node-llama-cpp's JSON-schema grammar). What the engines cannot
 * enforce (number ranges, for instance) is still checked afterwards with the zod schema itself.
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

export function closedSchema(schema: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === "anyOf" || k === "oneOf") out.oneOf = (v as unknown[]).map((s) => (isObject(s) ? closedSchema(s) : s));
    else if (!KEEP.has(k)) continue;
    else if (k === "properties" && isObject(v)) {
      out.properties = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, isObject(s) ? closedSchema(s) : s]));
    } else if (k === "items" && isObject(v)) out.items = closedSchema(v);
    else if (k === "prefixItems" && Array.isArray(v)) out.prefixItems = v.map((s: unknown) => (isObject(s) ? closedSchema(s) : s));
    else out[k] = v;
  }
  if (isObject(out.properties)) {
    out.required = Object.keys(out.properties);
    out.additionalProperties = false;
  }
  return out;
}
