/**
 * `dialogue export <id> --format jsonl|json|md|html`: a retained conversation as a file. The log
 * is read page by page and written as it is read, so a long run never sits in memory.
 */
import path from "node:path";
import { Command, Option } from "commander";
import { agentIndex, flagStarts, htmlFoot, htmlHead, htmlPlaced } from "../analysis/export-html.js";
import { turnCounter } from "../protocol/turn-count.js";
import { mdFoot, mdHead, mdMessage } from "../analysis/export-md.js";
import { plural } from "../analysis/format.js";
import { EXPORT_VERSION } from "../analysis/export-schema.js";
import type { Analysis } from "../analysis/schema.js";
import type { ConversationRecord } from "../protocol/record.js";
import { analysisOf } from "../redis/analysis-store.js";
import type { Store } from "../redis/store.js";
import { addCommonOptions, stderr, type CommonOptions } from "./common.js";
import { getOrThrow, openStore } from "./conversation.js";
import { checkOut, openSink, type Sink } from "./sink.js";

const FORMATS = ["json", "jsonl", "md", "html"] as const;
type Format = (typeof FORMATS)[number];

interface ExportOptions extends CommonOptions {
  format?: Format;
  out?: string;
}

export function exportCommand(): Command {
  const cmd = new Command("export")
    .description("export a conversation: JSON, JSON lines, Markdown, or one self-contained HTML page with the transcript, personas and charts")
    .argument("<id>", "conversation id (see dialogue list)")
    .addOption(new Option("-f, --format <format>", "output format (default: from the --out file's extension, else json)").choices([...FORMATS]))
    .option("-o, --out <file>", "write to this file instead of stdout (its directory must exist; written whole or not at all)");
  addCommonOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  dialogue export 20261121-143005-k3f9a --format html --out run.html
  dialogue export 20261121-143005-k3f9a --format jsonl | jq -c 'select(.type=="message") | .message.content.message'
  dialogue export 20261121-143005-k3f9a --out run.md

json and jsonl hold the record, every message and the analysis (src/analysis/export-schema.ts).`,
  );
  return cmd.action(async (id: string, opts: ExportOptions) => {
    const ext = opts.out ? path.extname(opts.out).slice(1).toLowerCase() : "";
    const format: Format = opts.format ?? ((FORMATS as readonly string[]).includes(ext) ? (ext as Format) : "json");
    // where it goes is checked before Redis is asked anything: a bad --out fails at once, writing nothing
    if (opts.out !== undefined) checkOut(opts.out, opts.format ?? "html");
    const { store, close, prefix } = await openStore(opts);
    try {
      const rec = await getOrThrow(store, id, prefix);
      const { analysis } = await analysisOf(store, rec);
      const sink = openSink(opts.out ?? null);
      let ok = false;
      try {
        await WRITERS[format](sink, store, rec, analysis);
        ok = true;
      } finally {
        await sink.close(ok);
      }
      if (opts.out) stderr(`wrote ${opts.out} (${format}, ${plural(rec.turns, "message")})`);
    } finally {
      close();
    }
  });
}

type Writer = (sink: Sink, store: Store, rec: ConversationRecord, analysis: Analysis) => Promise<void>;

const WRITERS: Record<Format, Writer> = {
  async json(sink, store, rec, analysis) {
    const head = JSON.stringify({ schema: "dialogue-llm/export", version: EXPORT_VERSION, record: rec, analysis });
    await sink.write(`${head.slice(0, -1)},"messages":[`);
    let first = true;
    for await (const page of store.pages(rec.spec.id)) {
      for (const { message } of page) {
        await sink.write(`${first ? "\n" : ",\n"}${JSON.stringify(message)}`);
        first = false;
      }
    }
    await sink.write("\n]}\n");
  },
  async jsonl(sink, store, rec, analysis) {
    await sink.write(`${JSON.stringify({ type: "conversation", record: rec })}\n`);
    for await (const page of store.pages(rec.spec.id)) {
      await sink.write(page.map(({ message }) => `${JSON.stringify({ type: "message", message })}\n`).join(""));
    }
    await sink.write(`${JSON.stringify({ type: "analysis", analysis })}\n`);
  },
  async md(sink, store, rec, analysis) {
    await sink.write(mdHead(rec));
    const placeIn = turnCounter();
    for await (const page of store.pages(rec.spec.id)) await sink.write(page.map(({ message }) => mdMessage(message, rec.spec.turn_order, placeIn(message))).join(""));
    await sink.write(mdFoot(analysis));
  },
  async html(sink, store, rec, analysis) {
    await sink.write(htmlHead(rec, analysis));
    const starts = flagStarts(analysis);
    const index = agentIndex(rec);
    const placeIn = turnCounter();
    for await (const page of store.pages(rec.spec.id)) {
      await sink.write(page.map(({ message: m }) => htmlPlaced(m, placeIn(m), index, starts, rec.spec.turn_order)).join(""));
    }
    await sink.write(htmlFoot());
  },
};
