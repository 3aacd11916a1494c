/**
 * load() builds the effective configuration from four layers, later ones winning:
 *   defaults (zod) < config/default.json < a config or scenario file < env < CLI flags
 *   (< a configuration sent over HTTP, for the runs `dialogue serve` starts).
 * A child of `dialogue run` is handed the launcher's result instead (over IPC) and uses it alone.
 * It never throws for bad input: every problem comes back with its path; the CLI decides.
 */
import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readFileSync, type Stats } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describeForm, parseDecimal } from "./numbers.js";
import { describeJsonError, scrub, secretsIn, shownSetArg, shownValue } from "./redact.js";
import { ConfigSchema, type Config } from "./schema.js";

export interface Problem {
  /** dotted path of the offending value, or the file/variable it came from */
  path: string;
  message: string;
  /** where the value came from when not a file, e.g. "from REDIS_URL" */
  source?: string;
  /** what fixes it, when the general hint (fix the value; the schema describes every setting) does not fit */
  hint?: string;
}

export interface LoadOptions {
  /** path to a config file (--config, or DIALOGUE_CONFIG) */
  configFile?: string | undefined;
  /** a scenario name from config/ (e.g. "debate") or a path to one */
  scenario?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** dotted-path overrides from CLI flags, already typed (e.g. {"limits.max_turns": 6}) */
  overrides?: Record<string, unknown>;
  /** raw "path=value" strings from --set */
  sets?: string[];
  /** the whole configuration, as `dialogue run` hands it to its children (over IPC): used alone */
  handed?: Record<string, unknown> | undefined;
  /**
   * a configuration document layered over every other source, as a config file is (objects merge,
   * arrays replace): the body of `POST /api/conversations`. Its problems carry their path in it.
   */
  request?: Record<string, unknown>;
}

export interface LoadResult {
  config: Config | null;
  problems: Problem[];
  /** the files that were read, in order */
  sources: string[];
  /**
   * the ids of the agents (and cast) whose goal the user wrote: in a file of their own (not one
   * that comes with dialogue), a --set of the goal, or a request's body. `--topic` keeps those and
   * gives every other agent a goal about the topic (config/cast-flags.ts)
   */
  ownGoals?: ReadonlySet<string>;
}

export const packageRoot = (): string => path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const configDir = (): string => path.join(packageRoot(), "config");

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * a document that names its agents brings its own cast (`--agents N` draws on it), none when it
 * lists none: the default scene's characters do not walk into another scenario
 */
function ownCast(doc: Json): Json {
  return "agents" in doc && !("cast" in doc) ? { ...doc, cast: [] } : doc;
}

/** objects merge key by key; arrays and scalars replace */
export function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

export function setPath(target: Json, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let node: Json = target;
  for (const [i, part] of parts.entries()) {
    const key = /^\d+$/.test(part) && Array.isArray(node) ? Number(part) : part;
    if (i === parts.length - 1) {
      (node as Record<string | number, unknown>)[key] = value;
      return;
    }
    let next = (node as Record<string | number, unknown>)[key];
    if (typeof next !== "object" || next === null) {
      next = /^\d+$/.test(parts[i + 1] ?? "") ? [] : {};
      (node as Record<string | number, unknown>)[key] = next;
    } else if (Array.isArray(next)) {
      next = [...next];
      (node as Record<string | number, unknown>)[key] = next;
    } else {
      next = { ...(next as Json) };
      (node as Record<string | number, unknown>)[key] = next;
    }
    node = next as Json;
  }
}

/**
 * A --set value: "12", "-3", "2.5" -> numbers (plain decimals only: "0x10", "1e3", " 12" or
 * "Infinity" stay strings, which a number setting then refuses); "true", "false", "null";
 * '{"a":1}', '[1]', '"12"' -> parsed as JSON; anything else stays a string.
 */
export function parseValue(raw: string): unknown {
  const n = parseDecimal(raw, { negative: true });
  if (n !== null) return n;
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (raw === "null") return null;
  if (/^[[{"]/.test(raw)) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

const ENV_MAP: Array<[string, string, "string" | "number" | "int"]> = [
  ["REDIS_URL", "redis.url", "string"],
  ["OLLAMA_HOST", "ollama.host", "string"],
  ["OPENAI_BASE_URL", "openai.base_url", "string"],
  ["OPENAI_API_KEY", "openai.api_key", "string"],
  ["DIALOGUE_PREFIX", "redis.prefix", "string"],
  ["DIALOGUE_PROVIDER", "provider", "string"],
  ["DIALOGUE_MODEL", "model", "string"],
  ["DIALOGUE_DURATION_SECONDS", "limits.duration_seconds", "number"],
  ["DIALOGUE_MAX_TURNS", "limits.max_turns", "int"],
  ["DIALOGUE_MAX_TOTAL_TOKENS", "limits.max_total_tokens", "int"],
  ["DIALOGUE_SEED", "seed", "int"],
  ["DIALOGUE_LOG_LEVEL", "log.level", "string"],
  ["DIALOGUE_LOG_FILE", "log.file", "string"],
  ["DIALOGUE_REDIS_DATA_DIR", "redis.managed.data_dir", "string"],
  ["DIALOGUE_REDIS_PORT", "redis.managed.port", "int"],
  ["DIALOGUE_REDIS_CLUSTER", "redis.cluster", "string"],
  ["DIALOGUE_MODEL_FILE", "embedded.model_file", "string"],
  ["DIALOGUE_THREADS", "embedded.threads", "int"],
];

export function envOverrides(env: NodeJS.ProcessEnv, problems: Problem[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, dotted, kind] of ENV_MAP) {
    const raw = env[name];
    if (raw === undefined || raw === "") continue;
    if (kind === "string") {
      out[dotted] = raw;
      continue;
    }
    const form = { whole: kind === "int", negative: true };
    const n = parseDecimal(raw, form);
    if (n === null) {
      problems.push({ path: name, message: `expected ${describeForm({ whole: form.whole })}, got ${JSON.stringify(raw)}` });
      continue;
    }
    out[dotted] = n;
  }
  return out;
}

/** what a path that is not a regular file is, in words */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "not a regular file";
}

/**
 * The text of a regular file. Opened without blocking and checked on the open descriptor, so a
 * named pipe, a device (/dev/zero), a socket or a directory is a problem at once, never a wait.
 */
function readRegularFile(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(kindOf(st)), { code: "ENOTREG" });
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

function readJsonFile(file: string, problems: Problem[]): Json | null {
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const message =
      e.code === "ENOENT"
        ? "file not found"
        : e.code === "ENOTREG"
          ? `is ${e.message}, not a JSON file`
          : e.code === "ENXIO"
            ? "is a socket, not a JSON file"
            : `cannot read (${e.code ?? String(err)})`;
    const hint =
      e.code === "ENOENT"
        ? `check the path (read from ${process.cwd()}); dialogue scenarios lists the scenarios that come with dialogue`
        : e.code === "ENOTREG" || e.code === "ENXIO"
          ? "name a JSON file"
          : e.code === "EACCES" || e.code === "EPERM"
            ? `check its permissions (ls -l ${file})`
            : undefined;
    problems.push({ path: file, message, ...(hint ? { hint } : {}) });
    return null;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    problems.push({ path: file, message: `not valid JSON: ${describeJsonError(err, text)}`, hint: "fix the JSON there (often a comma too many or missing, or a quote), then run again" });
    return null;
  }
  if (!isObject(data)) {
    problems.push({ path: file, message: "must contain a JSON object", hint: 'a configuration file is one JSON object, e.g. {"limits": {"max_turns": 6}}' });
    return null;
  }
  return data;
}

/** a scenario name ("debate") resolves to config/debate.json; anything with a slash or .json is a path */
export function resolveScenario(scenario: string): string {
  if (scenario.includes("/") || scenario.endsWith(".json")) return path.resolve(scenario);
  return path.join(configDir(), `${scenario}.json`);
}

export function listScenarios(): string[] {
  try {
    return readdirJson(configDir()).filter((n) => n !== "default" && n !== "config.schema");
  } catch {
    return [];
  }
}

function readdirJson(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5));
}

export function formatZodPath(p: ReadonlyArray<PropertyKey>): string {
  return p.length === 0 ? "(root)" : p.map(String).join(".");
}

export function load(opts: LoadOptions = {}): LoadResult {
  const env = opts.env ?? process.env;
  const problems: Problem[] = [];
  const sources: string[] = [];
  // a child of `dialogue run` runs with exactly the configuration its launcher resolved: no file,
  // variable or flag of its own changes it
  if (opts.handed) return validate(structuredClone(opts.handed), problems, new Map(), env, ["(from the launcher)"]);

  let merged: Json = {};
  const defaultFile = path.join(configDir(), "default.json");
  if (existsSync(defaultFile)) {
    const d = readJsonFile(defaultFile, problems);
    if (d) {
      merged = deepMerge(merged, d);
      sources.push(defaultFile);
    }
  }

  const files: string[] = [];
  const fromEnv = env.DIALOGUE_CONFIG;
  if (opts.scenario) {
    const file = resolveScenario(opts.scenario);
    if (!existsSync(file) && !opts.scenario.includes("/") && !opts.scenario.endsWith(".json")) {
      problems.push({
        path: "--scenario",
        message: `no scenario "${opts.scenario}" in ${configDir()}; available: ${listScenarios().join(", ") || "none"}`,
        hint: "dialogue scenarios lists them with their agents; a file of your own: --scenario ./my-scene.json",
      });
    } else files.push(file);
  }
  if (opts.configFile) files.push(path.resolve(opts.configFile));
  else if (fromEnv && !opts.scenario) files.push(path.resolve(fromEnv));
  // whose goals are the user's: a list of agents (or cast) replaces the one before it, so the last
  // file that lists them decides; a file that comes with dialogue (config/) is not the user's
  const own = { agents: new Set<string>(), cast: new Set<string>() };
  const withGoals = (list: unknown): Set<string> =>
    new Set((Array.isArray(list) ? list : []).filter((a): a is Json => isObject(a) && typeof a.goal === "string" && a.goal.trim() !== "").map((a) => String(a.id)));
  const takeOwn = (doc: Json, users: boolean): void => {
    if ("agents" in doc) own.agents = users ? withGoals(doc.agents) : new Set();
    if ("cast" in doc || "agents" in doc) own.cast = users ? withGoals(doc.cast) : new Set();
  };
  const builtIn = (file: string): boolean => path.resolve(file).startsWith(configDir() + path.sep);
  for (const file of files) {
    const data = readJsonFile(file, problems);
    if (data) {
      merged = deepMerge(merged, ownCast(data));
      takeOwn(data, !builtIn(file));
      sources.push(file);
    }
  }

  const overrides: Record<string, unknown> = envOverrides(env, problems);
  // where a value came from, when that is not a file: named in problems so the user knows what to fix
  const origin = new Map<string, string>();
  for (const [name, dotted] of ENV_MAP) if (env[name]) origin.set(dotted, `from ${name}`);
  for (const k of Object.keys(opts.overrides ?? {})) if (opts.overrides?.[k] !== undefined) origin.set(k, "from the command line");
  for (const [k, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) overrides[k] = v;
  for (const s of opts.sets ?? []) {
    const eq = s.indexOf("=");
    if (eq <= 0) {
      problems.push({ path: "--set", message: `expected path=value, got ${JSON.stringify(shownSetArg(s))}`, hint: "write --set path=value, e.g. --set limits.max_turns=6" });
      continue;
    }
    const name = s.slice(0, eq).trim();
    overrides[name] = parseValue(s.slice(eq + 1));
    origin.set(name, `from --set ${name}=${shownValue(name, s.slice(eq + 1))}`);
  }
  for (const [dotted, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    // a setting of an agent the configuration does not list would make a half agent (no id, no role)
    const at = /^agents\.(\d+)\./.exec(dotted);
    const listed = Array.isArray(merged.agents) ? (merged.agents as Json[]) : [];
    if (at && Number(at[1]) >= listed.length) {
      const ids = listed.map((a) => String(a.id)).join(", ");
      problems.push({
        path: dotted,
        message: `the configuration lists ${listed.length} agents (${ids}), numbered from 0; an agent that --agents adds is its cast's: set it as cast.${Number(at[1]) - listed.length}.…`,
      });
      continue;
    }
    setPath(merged, dotted, value);
    // a goal set on the command line is the user's
    const goal = /^(agents|cast)\.(\d+)\.goal$/.exec(dotted);
    const list = goal ? merged[goal[1] as "agents" | "cast"] : undefined;
    const agent = goal && Array.isArray(list) ? (list as unknown[])[Number(goal[2])] : undefined;
    if (goal && isObject(agent)) own[goal[1] as "agents" | "cast"].add(String(agent.id));
  }
  if (opts.request) {
    merged = deepMerge(merged, ownCast(opts.request));
    takeOwn(opts.request, true);
    // a value the request sets came from the request, not from the env or a flag below it
    for (const k of origin.keys()) if (k.split(".").reduce<unknown>((o, p) => (isObject(o) ? o[p] : undefined), opts.request) !== undefined) origin.delete(k);
  }

  return { ...validate(merged, problems, origin, env, sources), ownGoals: new Set([...own.agents, ...own.cast]) };
}

/** the merged layers checked against the schema; every problem with its path, and no secret in any */
function validate(merged: Json, problems: Problem[], origin: Map<string, string>, env: NodeJS.ProcessEnv, sources: string[]): LoadResult {
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        // one problem per unknown key, at the key's own path
        for (const key of issue.keys) {
          problems.push({ path: formatZodPath([...issue.path, key]), message: "unknown setting (check its spelling and where it is nested)" });
        }
        continue;
      }
      const where = formatZodPath(issue.path);
      const from = origin.get(where);
      // a --set number in another form (0x10, 1e3, " 5") arrived as a string: say which form counts
      const message =
        issue.code === "invalid_type" && issue.expected === "number" && from?.startsWith("from --set")
          ? `${issue.message} (a number is written as plain decimal digits, like 30 or 2.5)`
          : issue.message;
      problems.push(from ? { path: where, message, source: from } : { path: where, message });
    }
  }
  if (problems.length > 0 || !parsed.success) {
    // no secret in any problem, whatever layer it came from and whatever a message quotes
    const secrets = [...secretsIn(merged), ...ENV_MAP.flatMap(([name]) => secretsIn(env[name] ?? "", name))];
    const clean = problems.map((p) => ({ ...p, path: scrub(p.path, secrets), message: scrub(p.message, secrets), ...(p.source ? { source: scrub(p.source, secrets) } : {}) }));
    return { config: null, problems: clean, sources };
  }
  return { config: parsed.data, problems, sources };
}
