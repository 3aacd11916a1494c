/**
 * The live page's boxes to say something (bundled into dist/public/live.js with live.ts): the
 * person whose turn it is — shown while the record says so (the server's waitingFor, sent with
 * every record event), with the seconds left before the turn is skipped — and a narrator's remark
 * while the run goes on. Both post to /api/conversations/:id/say, the same checks as `dialogue
 * say`; the person's names the turn the box shows (as `--turn`), so a post that arrives after that
 * turn went by is refused rather than taken for the next. A refusal is shown with its one-line
 * reason and the text is kept; one that comes after the box moved on is shown at the next turn. The person's box also
 * names the `dialogue say` command that answers from a terminal (observer/commands.ts). Names go
 * into the page as text only.
 */
import { prefixFlag, sayCommand } from "../../observer/commands.js";

/** the person whose turn it is, as the server sends it (observer/waiting.ts) */
export interface Waiting {
  agent_id: string;
  name: string;
  seq: number;
  /** the turn it is (a narrator's remarks are not turns); absent from a server before it was sent */
  turn?: number;
  since: number | null;
  /** epoch ms by Redis' clock when the turn is skipped, null when not known */
  skip_at: number | null;
}

const el = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const NEEDS_TOKEN = "saying something needs the server's token: open this page once with ?token=<token> added to its address";

export interface SayBoxes {
  /** a record event: who is waited for (null: nobody), Redis' clock when it was sent, the person's colour */
  waiting(w: Waiting | null, serverNow: number, colour: number): void;
  /** the run is over: nothing more can be said */
  end(): void;
}

/** `prefix`: the one the server keeps its runs under (the box's `dialogue say` command names it unless it is the default) */
export function sayBoxes(id: string, prefix: string): SayBoxes {
  const person = el<HTMLFormElement>("person-form");
  const personText = el<HTMLTextAreaElement>("person-text");
  const personSend = el<HTMLButtonElement>("person-send");
  const personNote = el("person-note");
  const personLeft = el("person-left");
  const narrator = el<HTMLFormElement>("narrator-form");
  const narratorText = el<HTMLInputElement>("narrator-text");
  const narratorSend = el<HTMLButtonElement>("narrator-send");
  const narratorNote = el("narrator-note");
  const usual = personNote.textContent ?? "";

  let current: Waiting | null = null;
  /** when the turn is skipped, on this page's monotonic clock (so the browser's own clock does not matter) */
  let skipAt: number | null = null;
  let sent = false;
  let timer: ReturnType<typeof setInterval> | null = null;

  async function post(body: { text: string; as?: string; turn?: number }): Promise<{ ok: boolean; message: string }> {
    try {
      const r = await fetch(`/api/conversations/${encodeURIComponent(id)}/say`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      if (r.status === 401) return { ok: false, message: NEEDS_TOKEN };
      const d = (await r.json().catch(() => ({}))) as { message?: string };
      return { ok: r.ok, message: d.message ?? `the server answered ${r.status}` };
    } catch {
      return { ok: false, message: "the server did not answer: try again" };
    }
  }

  function tick(): void {
    if (!current) return;
    if (skipAt === null) {
      personLeft.textContent = "waiting for an answer";
      return;
    }
    const left = Math.max(0, Math.ceil((skipAt - performance.now()) / 1000));
    personLeft.textContent = left > 0 ? `${left} s left before the turn is skipped` : "time is up: the turn is being skipped";
    person.dataset.left = String(left);
  }

  /** what was typed for a turn that ended without this box sending it: said at the person's next turn */
  let unsent: string | null = null;

  /** the box goes (turn `was` is over); text typed for it and not sent is not kept for the next turn */
  function hidePerson(was: Waiting | null): void {
    person.classList.add("hidden");
    if (timer !== null) clearInterval(timer);
    timer = null;
    const typed = personText.value.trim();
    if (!sent && typed !== "" && was) unsent = `turn ${was.turn ?? was.seq} was answered elsewhere or skipped: what you typed was not sent — “${typed}”`;
    personText.value = "";
    sent = false;
    personText.disabled = false;
    personSend.disabled = false;
    personNote.textContent = usual;
  }

  person.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const w = current;
    if (!w || sent) return;
    personSend.disabled = true;
    const typed = personText.value.trim();
    // for the turn the box shows only: one that went by before the post came is not answered by it
    void post({ text: personText.value, as: w.agent_id, ...(w.turn === undefined ? {} : { turn: w.turn }) }).then((r) => {
      if (current?.seq !== w.seq) {
        // the box moved on before the answer came: what came of it, shown at the person's next turn
        const late = r.ok ? `turn ${w.turn ?? w.seq}: ${r.message}` : `turn ${w.turn ?? w.seq}: not sent (${r.message}) — “${typed}”`;
        if (current === null) unsent = late;
        else personNote.textContent = late;
        return;
      }
      personNote.textContent = r.ok ? `${r.message}: waiting for it to be recorded…` : r.message;
      sent = r.ok;
      personText.disabled = r.ok;
      personSend.disabled = r.ok;
    });
  });
  personText.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) person.requestSubmit();
  });

  narrator.addEventListener("submit", (ev) => {
    ev.preventDefault();
    narratorSend.disabled = true;
    void post({ text: narratorText.value, as: "narrator" }).then((r) => {
      narratorSend.disabled = false;
      narratorNote.textContent = r.message;
      if (r.ok) narratorText.value = "";
    });
  });

  return {
    waiting(w, serverNow, colour) {
      if (!w) {
        const was = current;
        current = null;
        hidePerson(was);
        return;
      }
      if (current && (current.seq !== w.seq || current.agent_id !== w.agent_id)) hidePerson(current);
      if (current?.seq !== w.seq && unsent !== null) {
        personNote.textContent = unsent;
        unsent = null;
      }
      current = w;
      skipAt = w.skip_at === null ? null : performance.now() + (w.skip_at - serverNow);
      person.className = `say a${colour % 8}`;
      person.dataset.agent = w.agent_id;
      person.dataset.seq = String(w.seq);
      el("person-who").textContent = `Turn ${w.turn ?? w.seq} is ${w.name}'s (${w.agent_id}, a person)`;
      el("person-cli").textContent = sayCommand(id, w.agent_id, prefixFlag(prefix), w.turn ?? w.seq);
      personText.placeholder = `what ${w.name} says`;
      tick();
      timer ??= setInterval(tick, 1000);
    },
    end() {
      const was = current;
      current = null;
      hidePerson(was);
      narrator.classList.add("hidden");
    },
  };
}
