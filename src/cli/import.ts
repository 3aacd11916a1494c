/**
 * `dialogue import <file>`: recorded conversations (JSON lines, a JSON array, CSV or TSV) into retained
 * conversations, one per session (src/import/importer.ts). Prints what it imported, what was
 * there already, what it did not import and its bad rows with their lines (import-report.ts);
 * exits 2 when some row was bad or some session could not be imported (what was whole is
 * imported all the same).
 */
import { Command, Option } from "commander";
import { plural } from "../analysis/format.js";
import { UsageError } from "../errors/index.js";
import { DEFAULT_FIELDS, type EpochUnit, type FieldNames } from "../import/fields.js";
import { importFile, type ImportProgress, type ImportReport } from "../import/importer.js";
import { FORMATS, formatOf, type ImportFormat } from "../import/rows.js";
import { addCommonOptions, type CommonOptions } from "./common.js";
import { openStore, out } from "./conversation.js";
import { failureOf, reportText } from "./import-report.js";

interface ImportOptions extends CommonOptions {
  format?: ImportFormat;
  sessionField: string;
  speakerField: string;
  textField: string;
  timeField: string;
  roleField?: string;
  delimiter?: string;
  epoch: EpochUnit;
  json?: boolean;
}

/** `--delimiter`: one character, or tab ("tab", "\\t"); left out, the importer takes the file name's (a tab for .tsv, else ",") */
function delimiterOf(v: string | undefined, format: ImportFormat): string | undefined {
  if (v === undefined) return undefined;
  if (format !== "csv") throw new UsageError(`--delimiter is for CSV files; this one is read as ${format}`, "leave --delimiter out, or pass --format csv if the file is CSV");
  if (v === "tab" || v === "\\t" || v === "\t") return "\t";
  if ([...v].length !== 1 || /["\r\n]/.test(v)) throw new UsageError(`--delimiter ${JSON.stringify(v)} is not one character`, "one character between fields, e.g. --delimiter ';', --delimiter '|', or --delimiter tab");
  return v;
}

export function importCommand(): Command {
  const cmd = new Command("import")
    .description("import recorded conversations (JSON lines, a JSON array, or CSV/TSV of rows): each session becomes a retained conversation (status imported) to list, show, analyze, replay, export, compare or continue")
    .argument("<file>", "the file: .jsonl (one row object a line), .json (an array of row objects), .csv or .tsv (a header row, then rows; .tsv: tab-separated)")
    .addOption(new Option("--format <format>", "the file's format (default: from its extension)").choices([...FORMATS]))
    .option("--session-field <name>", "the field naming each row's session (conversation); a dotted path reaches into objects", DEFAULT_FIELDS.session)
    .option("--speaker-field <name>", "the field naming who said it", DEFAULT_FIELDS.speaker)
    .option("--text-field <name>", "the field with what was said", DEFAULT_FIELDS.text)
    .option("--time-field <name>", "the field with when it was said: an ISO 8601 date (no zone: UTC) or epoch seconds or milliseconds", DEFAULT_FIELDS.time)
    .option("--role-field <name>", "a field with each speaker's role (default: the speaker is its own role)")
    .option("--delimiter <char>", "CSV: the character between fields, e.g. ';', '|' or tab (default: a tab for a .tsv file, else ,)")
    .addOption(new Option("--epoch <unit>", "what epoch numbers count: auto (below 100,000,000,000 seconds, else milliseconds), s or ms").choices(["auto", "s", "ms"]).default("auto"))
    .option("--json", "the report as one JSON document");
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue import calls.jsonl                        # rows {session_id, timestamp, speaker, text}
  dialogue import chats.csv --session-field chat --speaker-field author --text-field body --time-field sent_at
  dialogue import export.json --time-field ts --epoch ms --role-field role
  dialogue import chats.tsv                           # tab-separated: read so from its name
  dialogue import semicolons.csv --delimiter ';'      # or --delimiter tab (or '\\t') for tabs in a .csv
  dialogue list --status imported
  dialogue analyze <id> --window 60s                  # windows of the recorded time
  dialogue replay <id> --speed 10                     # a tenth of the recorded time
  dialogue run --continue <id> --max-turns 6          # models carry the conversation on

The names are checked first: a CSV header, or the first rows of JSON, without a field to read is
one error naming the fields it has and the options to map them, and nothing is imported (the
same for a file with no rows, for a CSV quote never closed: the error names the line and column
where it opens, and for a JSON array broken part-way: the error names the item, line and column of
the break and what is wrong there; each of these ends "nothing was imported"). A session is imported whole or not at all: one with a bad row (reported
with its line; the first 20 are printed, --json lists up to 1,000), or with fewer than 2 or more
than 8 speakers, is left out, and the command exits 2 after importing the rest. A row that names
no session (a line that is not JSON) could be any session's, so then nothing is imported. The
report lists the first 20 sessions imported (or already there) and counts the rest: dialogue
list --status imported shows them all, --json lists them. A message is at most 200,000
characters: split a longer text over rows. Each session's id comes from its id and its rows:
importing a file again adds nothing, and after a fix only the fixed sessions are new. Messages
keep the rows' times and carry no tokens or speed (nothing generated them here). Large files
stream: memory stays flat, a progress line shows on a terminal.`,
  );
  return cmd.action(async (file: string, opts: ImportOptions) => {
    const format = opts.format ?? formatOf(file);
    if (!format) throw new UsageError(`cannot tell the format of ${file} from its name`, "name it .jsonl, .json, .csv or .tsv, or pass --format jsonl|json|csv (and, for tab-separated rows, --delimiter tab)");
    const delimiter = delimiterOf(opts.delimiter, format);
    const fields: FieldNames = { session: opts.sessionField, speaker: opts.speakerField, text: opts.textField, time: opts.timeField, role: opts.roleField ?? null };
    const { store, close, config, reach } = await openStore(opts);
    const bar = progressLine();
    let report: ImportReport;
    try {
      report = await importFile(store, { file, format, fields, delimiter, epoch: opts.epoch, limits: config.limits, onProgress: bar.draw });
    } finally {
      bar.clear();
      close();
    }
    if (opts.json) out(JSON.stringify(report, null, 2));
    else out(reportText(report, reach));
    const failure = failureOf(report);
    if (failure) throw new UsageError(failure.message, failure.hint);
  });
}

/** on a terminal, one line on stderr redrawn in place (at most 5 times a second); off one, nothing */
function progressLine(): { draw: (p: ImportProgress) => void; clear: () => void } {
  const err = process.stderr;
  let shown = false;
  let last = 0;
  return {
    draw: (p) => {
      if (!err.isTTY) return;
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      const pct = p.total > 0 ? Math.min(100, Math.floor((100 * p.bytes) / p.total)) : 0;
      const mb = (n: number): string => (n / 1e6).toFixed(1);
      const line = p.phase === "reading" ? `importing: ${pct}% (${mb(p.bytes)} of ${mb(p.total)} MB) · ${plural(p.rows, "row")} · ${plural(p.sessions, "session")}` : `importing: committing sessions`;
      const columns = err.columns || 80;
      err.write(`\r${line.slice(0, columns - 1)}\u001b[K`);
      shown = true;
    },
    clear: () => {
      if (shown) err.write("\r\u001b[K");
      shown = false;
    },
  };
}

