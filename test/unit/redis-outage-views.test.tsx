/**
 * The TUI while Redis is unreachable (the launcher's connection says so, as a feed event): the
 * turn that has gone quiet says which Redis is away, for how long and until when it is waited for
 * — not "no tokens for", which blames the model — and goes back to normal when Redis answers.
 * Where Redis is, is host:port only: never a password.
 */
import { render } from "ink-testing-library";
import { afterEach, describe, expect, it } from "vitest";
import { Feed } from "../../src/observer/feed.js";
import { awayLine, backLine, redisHostPort } from "../../src/observer/redis-away.js";
import { App } from "../../src/observer/tui/App.js";
import { waitFor } from "../helpers/cli.js";
import { chunksFor, makeMessage, makeRecord, T0 } from "../helpers/conversation.js";

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

function mount(feed: Feed, clock: () => number) {
  const ui = render(<App feed={feed} mode="run" now={clock} />);
  cleanup.push(() => ui.unmount());
  // the last frame drawn (with CI set, Ink writes a blank line as it unmounts)
  const frame = (): string => ui.frames.findLast((f) => f.trim() !== "") ?? "";
  const shows = (what: string | RegExp, not?: string) =>
    waitFor(`the screen to show ${what}`, async () => (typeof what === "string" ? frame().includes(what) : what.test(frame())) && (not === undefined || !frame().includes(not)), 10_000, 10);
  return { ...ui, frame, shows };
}

describe("the TUI while Redis is unreachable", () => {
  it("a quiet turn says Redis is away (host:port, for how long, how long still), not 'no tokens for'; back to normal when it answers", async () => {
    const feed = new Feed();
    feed.push({ type: "record", record: makeRecord(), previous: null });
    feed.push({ type: "message", message: makeMessage(1, "Good morning, Arjun. My fixed rate ends next month.") });
    for (const chunk of chunksFor(makeMessage(2, "Then let us look at what the other bank offers you."), 6).slice(0, 3)) feed.push({ type: "tokens", chunk });
    // a minute after the turn's last token
    const now = T0 + 64_000;
    const ui = mount(feed, () => now);
    await ui.shows(/▍Arjun Mehta · advisor · turn 2 · \d+ tok/);
    await ui.shows(/no tokens for \d+ s/);

    feed.push({ type: "redis", away: { where: redisHostPort("redis://:s3cret@127.0.0.1:6390/2"), since: now - 39_000, timeout_ms: 60_000 }, at: now });
    await ui.shows("Redis at 127.0.0.1:6390 unreachable for 39 s · giving up in 21 s", "no tokens for");
    expect(ui.frame()).not.toContain("s3cret");
    // still the turn it is
    expect(ui.frame()).toMatch(/▍Arjun Mehta · advisor · turn 2/);

    feed.push({ type: "redis", away: null, at: now });
    await ui.shows(/no tokens for \d+ s/, "unreachable");
  });

  it("a turn not started yet (waiting for a manager) says it too, first", async () => {
    const feed = new Feed();
    feed.push({ type: "record", record: makeRecord({ status: "pending", started_at: null, story: null, personas: null }), previous: null });
    const now = T0 + 10_000;
    const ui = mount(feed, () => now);
    await ui.shows("waiting for a manager to take the conversation");
    feed.push({ type: "redis", away: { where: "127.0.0.1:6390", since: now - 4_000, timeout_ms: 30_000 }, at: now });
    await ui.shows(/Redis at 127\.0\.0\.1:6390 unreachable for 4 s · giving up in 26 s · waiting for a manager/);
    feed.push({ type: "redis", away: null, at: now });
    await ui.shows("waiting for a manager to take the conversation", "unreachable");
  });
});

describe("the lines on stderr (plain text, JSON lines)", () => {
  it("say which Redis, since when, until when it is tried; and how long it was away", () => {
    const since = new Date(2026, 10, 30, 14, 36, 20).getTime();
    const away = { where: redisHostPort("rediss://user:pw@redis.example:6380"), since, timeout_ms: 30_000 };
    expect(awayLine(away)).toBe(
      "Redis at redis.example:6380 is unreachable (since 14:36:20): trying again until it answers, for up to 30 s (redis.unavailable_timeout_ms), then giving up",
    );
    expect(backLine(away, since + 12_400)).toBe("Redis at redis.example:6380 answers again (it was unreachable for 12 s); going on");
    expect(redisHostPort("redis://:pw@a:7000,b:7001")).toBe("a:7000,b:7001");
  });
});
