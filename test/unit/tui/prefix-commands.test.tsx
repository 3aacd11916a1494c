/**
 * The commands the TUI shows for the user to copy name what they need to reach the run (`reach`:
 * `--prefix` for runs kept under another prefix than the default, `--redis-url` for a Redis named
 * on the command line; cli/reach.ts): the help's `dialogue show <id>` and watch's way back, the
 * person's `dialogue say <id> "…"`, and the last frame of a replay quit. With the default prefix
 * they stay as they were. A long command wraps at spaces, whole, never cut at the terminal's edge.
 */
import { renderToString } from "ink";
import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import type { FeedEvent } from "../../../src/observer/feed.js";
import { helpRows } from "../../../src/observer/tui/help-rows.js";
import { leavingBy } from "../../../src/observer/tui/Left.js";
import { LiveArea } from "../../../src/observer/tui/LiveArea.js";
import type { PersonLine } from "../../../src/observer/tui/PersonTurn.js";
import { initialState, reduce } from "../../../src/observer/tui/state.js";
import { chosen, makeCastRecord, makeTurn } from "../../helpers/cast.js";
import { makeRecord, T0 } from "../../helpers/conversation.js";

const REACH = " --prefix nu3";
const LONG_REACH = " --prefix nu3 --redis-url 'redis://:<password>@redis.internal.example.com:6380'";
const flat = (s: string): string => s.replace(/\s+/g, " ");
const widest = (s: string): number => Math.max(...s.split("\n").map((l) => stringWidth(l)));

describe("the help (?)", () => {
  const id = makeRecord().spec.id;
  const text = (mode: "run" | "watch", reach: string, width = 80): string => helpRows(mode, id, width, reach).map((r) => r.text).join("\n");

  it("names --prefix in `dialogue show <id>` and in watch's way back; the default prefix adds nothing", () => {
    expect(text("run", REACH)).toContain(`  dialogue show ${id} --prefix nu3`);
    expect(flat(text("watch", REACH))).toContain(`detach; the conversation goes on (dialogue watch ${id} --prefix nu3 to come back)`);
    expect(text("run", "").split("\n").at(-1)).toBe(`  dialogue show ${id}`);
    expect(text("watch", "")).not.toContain("--prefix");
  });

  it("a command longer than the terminal wraps at spaces, whole, within the width", () => {
    const shown = text("run", LONG_REACH, 60);
    expect(widest(shown)).toBeLessThanOrEqual(60);
    expect(flat(shown)).toContain(`dialogue show ${id}${LONG_REACH}`);
  });

  it("rendered in the live area, as ? shows it", () => {
    const r = makeRecord();
    const state = reduce(initialState, [{ type: "record", record: r, previous: null }]);
    const out = renderToString(<LiveArea state={state} mode="run" columns={100} rows={40} now={T0 + 5000} showHelp reach={REACH} />, { columns: 100 });
    expect(out).toContain(`  dialogue show ${r.spec.id} --prefix nu3`);
  });
});

describe("a person's turn", () => {
  const r = makeCastRecord(5, { people: ["resident"] });
  const before = ["chair", "officer", "shopkeeper", "commuter"].map((id, i) => makeTurn(r, i + 1, id, `Turn ${i + 1} from ${id}.`));
  const waiting = reduce(initialState, [{ type: "record", record: chosen(r, 4, "resident", undefined, T0 + 16_000), previous: null }, ...before.map((message): FeedEvent => ({ type: "message", message }))]);
  const live = (line: PersonLine, reach: string, columns = 80) =>
    renderToString(<LiveArea state={waiting} mode="watch" columns={columns} rows={24} now={T0 + 16_000 + 18_400} line={line} reach={reach} />, { columns });
  const id = r.spec.id;

  it("offered (a watcher) or answered elsewhere: `dialogue say <id> --prefix P \"…\"`", () => {
    expect(live({ state: "closed", draft: "", error: null }, REACH)).toContain(`  Enter: answer as Ines Carvalho here; or from another terminal:\n    dialogue say ${id} --turn 5 --prefix nu3 "…"`);
    expect(live({ state: "elsewhere", draft: "", error: null }, REACH)).toContain(`who answers from a terminal with:\n    dialogue say ${id} --turn 5 --prefix nu3 "…"`);
    expect(live({ state: "closed", draft: "", error: null }, "")).toContain(`    dialogue say ${id} --turn 5 "…"\n`);
  });

  it("a long command wraps at spaces onto rows of its own, whole", () => {
    const out = live({ state: "closed", draft: "", error: null }, LONG_REACH, 70);
    expect(widest(out)).toBeLessThanOrEqual(70);
    expect(flat(out)).toContain(`dialogue say ${id} --turn 5${LONG_REACH} "…"`);
  });
});

describe("the last frame of a replay quit", () => {
  it("names --prefix in the command that shows the whole run", () => {
    expect(leavingBy("replay", "20261121-143005-k3f9a", REACH).text).toBe("Replay quit before its end: dialogue show 20261121-143005-k3f9a --prefix nu3 shows the whole run.");
    expect(leavingBy("replay", "20261121-143005-k3f9a", "").text).toBe("Replay quit before its end: dialogue show 20261121-143005-k3f9a shows the whole run.");
  });
});
