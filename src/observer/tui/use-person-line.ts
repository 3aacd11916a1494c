/**
 * The person's input line: when the record the TUI follows says it is a person's turn, the TUI
 * offers a line to type their message in, and Enter hands it to `say` — the same function
 * `dialogue say` uses, naming the turn it was typed at, as `--turn` does (a say that reaches Redis
 * after that turn went by is refused, never taken for a later one) — which the manager then
 * records as that agent's turn.
 *
 * In `run` the line opens by itself at a person's turn (whoever started the run with --person is
 * at this keyboard); in `watch` it is offered and Enter opens it (a watcher may only be looking
 * on, and expects q to detach). While it is open, every key but Ctrl-C is the line's: letters
 * (q, s and ? included) are typed, Enter sends, Backspace deletes, Ctrl-U clears, Ctrl-W deletes
 * a word, Esc closes it and gives the keys back (Enter opens it again). What was typed belongs to
 * the turn it was typed at: it stays while that turn is waited for (a refused say keeps it, to try
 * again), and when the turn ends without this line sending it — answered elsewhere (`dialogue say`,
 * another `watch`, the browser), skipped, or the say refused after the turn was over — it is not
 * sent: the person's next turn starts with an empty line and a row saying what became of it.
 */
import type { Key } from "ink";
import { useEffect, useRef, useState } from "react";
import type { ConversationRecord } from "../../protocol/record.js";
import { waitingFor, type Waiting } from "../waiting.js";
import type { Mode } from "./Footer.js";
import type { PersonLine } from "./PersonTurn.js";
import { clean } from "./text.js";
import { turnOf } from "../../protocol/turn-count.js";

/**
 * says `text` as agent `as` for their turn `turn` (as the views number it) in the conversation
 * (manager/say.ts `say`, via "the TUI"): refused unless that turn is still the one waiting, so text
 * typed for a turn never lands on a later one; absent when this terminal cannot type (no raw mode)
 */
export type Say = (as: string, text: string, turn: number) => Promise<unknown>;

export interface PersonLineState {
  /** the person waited for, if it is a person's turn */
  waiting: Waiting | null;
  /** what the live area shows; undefined when no person is waited for */
  line: PersonLine | undefined;
  /** a key for the line: true when the line took it (the app's own keys then do nothing) */
  handle(input: string, key: Key): boolean;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";

/** the draft without its last word (and the spaces after it) */
const dropWord = (s: string): string => s.replace(/\S*\s*$/, "");

export function usePersonLine(record: ConversationRecord | null, mode: Mode, say: Say | undefined): PersonLineState {
  const waiting = record && mode !== "replay" ? waitingFor(record) : null;
  // the turn, as its heading numbers it (a notice says which turn it is about)
  const here = waiting && record ? { seq: waiting.seq, turn: turnOf(waiting.seq, record) } : null;
  const offered = waiting !== null && say !== undefined;
  const [draft, setDraft] = useState("");
  const [open, setOpenState] = useState(false);
  const [sending, setSendingState] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  // what became of text typed at a turn that ended without this line sending it (shown at the next)
  const [notice, setNotice] = useState<string | null>(null);
  // the turn the line is at (the effect below moves it on)
  const at = useRef<typeof here>(null);
  // keys can come faster than React renders (and re-registers the key handler): the handler reads
  // and writes the latest state here, and React follows
  const latest = useRef({ draft, open, sending });
  const edit = (next: string): string => {
    latest.current.draft = next;
    setDraft(next);
    setError(null);
    return next;
  };
  const setOpen = (v: boolean): void => {
    latest.current.open = v;
    setOpenState(v);
  };
  const setSending = (v: number | null): void => {
    latest.current.sending = v;
    setSendingState(v);
  };

  const seq = waiting?.seq ?? null;
  useEffect(() => {
    // the turn the line was at is over: what was typed for it and not sent by this line goes with
    // it, and the next person's turn says so (a say on its way reports for itself when it lands)
    const before = at.current;
    if (before && before.seq !== seq) {
      const unsent = latest.current.sending === before.seq ? "" : latest.current.draft.trim();
      setNotice(unsent === "" ? null : `turn ${before.turn} was answered elsewhere or skipped: what you typed was not sent — “${unsent}”`);
      edit("");
    }
    at.current = here;
    // a new person's turn (or none): the line starts over, open by itself in run
    setSending(null);
    setError(null);
    setOpen(seq !== null && mode === "run");
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the setters write a ref and React state, both stable in effect
  }, [seq, mode]);

  function send(text: string): void {
    if (!waiting || !here || !say) return;
    const t = text.trim();
    if (t === "") {
      setError("nothing typed yet");
      return;
    }
    const turn = here;
    setSending(turn.seq);
    setError(null);
    // a say that lands after its turn is over (the line has moved on) leaves the line as it is
    const current = (): boolean => at.current?.seq === turn.seq;
    say(waiting.agent_id, t, turn.turn).then(
      () => {
        if (!current()) return;
        edit("");
        setNotice(null);
        setOpen(false);
      },
      (err: unknown) => {
        if (!current()) {
          setNotice(`turn ${turn.turn}: not sent (${errorText(err)}) — “${t}”`);
          return;
        }
        setSending(null);
        setError(errorText(err));
        setOpen(true);
      },
    );
  }

  function handle(input: string, key: Key): boolean {
    if (!offered || latest.current.sending !== null) return false;
    if (!latest.current.open) {
      if (!key.return) return false;
      setOpen(true);
      setError(null);
      return true;
    }
    // still the app's: stop, or detach (two Ctrl-Cs in one read, too)
    if ((key.ctrl && input === "c") || input.includes("\x03")) return false;
    if (key.escape) {
      setOpen(false);
      return true;
    }
    if (key.return) {
      send(latest.current.draft);
      return true;
    }
    if (key.backspace || key.delete) {
      edit(Array.from(latest.current.draft).slice(0, -1).join(""));
      return true;
    }
    if (key.ctrl && input === "u") {
      edit("");
      return true;
    }
    if (key.ctrl && input === "w") {
      edit(dropWord(latest.current.draft));
      return true;
    }
    if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.pageUp || key.pageDown || key.home || key.end) return true;
    // typed or pasted text, or keys typed fast that arrive together ("abc\x7f\x7f", "text\r"):
    // each counts, and a line that ends with Enter is sent
    let next = latest.current.draft;
    const chars = Array.from(input);
    chars.forEach((ch, i) => {
      if (ch === "\x7f" || ch === "\b") next = Array.from(next).slice(0, -1).join("");
      else if (ch === "\x15") next = "";
      else if (ch === "\x17") next = dropWord(next);
      else if (ch === "\r" || ch === "\n") next += i === chars.length - 1 ? "" : " ";
      else next += clean(ch);
    });
    edit(next);
    if (/[\r\n]$/.test(input)) send(next);
    return true;
  }

  // the first frame of a new person's turn is drawn before the effect above moves the line on:
  // it shows the line as the effect will leave it (open by itself in run, empty), not as it was
  const fresh = (at.current?.seq ?? null) !== seq;
  const line: PersonLine | undefined = !waiting
    ? undefined
    : !say
      ? { state: "elsewhere", draft: "", error: null }
      : fresh
        ? { state: mode === "run" ? "typing" : "closed", draft: "", error: null, notice }
        : { state: sending === waiting.seq ? "sending" : open ? "typing" : "closed", draft, error, notice };
  return { waiting, line, handle };
}
