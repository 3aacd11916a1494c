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

/**
 * For grammar-constrained engines (llama.cpp): a number with both a minimum and a maximum becomes
 * an `enum` of evenly spaced values in that range, because a grammar cannot bound a number and a
 * small model will otherwise write values like 37e755 (Infinity) that the zod check then refuses.
 */
export function enumerateRanges(schema: Json, steps = 8): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(schema)) {
    if (isObject(v)) out[k] = enumerateRanges(v, steps);
    else if (Array.isArray(v)) out[k] = v.map((x: unknown) => (isObject(x) ? enumerateRanges(x, steps) : x));
    else out[k] = v;
  }
  const { minimum: min, maximum: max } = schema;
  if ((schema.type === "number" || schema.type === "integer") && typeof min === "number" && typeof max === "number" && max > min) {
    const integer = schema.type === "integer";
    const values = new Set<number>();
    for (let i = 0; i <= steps; i++) {
      const v = min + ((max - min) * i) / steps;
      values.add(integer ? Math.round(v) : Math.round(v * 100) / 100);
    }
    const { type: _t, minimum: _min, maximum: _max, ...rest } = out;
    return { ...rest, enum: [...values] };
  }
  return out;
}
