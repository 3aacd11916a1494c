/**
 * A conversation that goes away while the TUI follows it (purged, or Redis restarted without its
 * data): the TUI's last frame says it stopped following and why, under a header that says so —
 * not the run as `running` with the keys still offered — and the error follows it on the terminal.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "../../src/redis/store.js";
import { cliEnv } from "../helpers/cli.js";
import { makeMessage, makeRecord } from "../helpers/conversation.js";
import { freshPrefix, testRedisUrl } from "../helpers/redis.js";
import { dialogueCommand, hasTmux, Tmux } from "../helpers/tmux.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis.quit();
});

describe.skipIf(!hasTmux())("the TUI of a conversation that disappears", () => {
  it("dialogue watch: the last frame says it stopped following, and why, without the keys; then the error, exit 1", async () => {
    const prefix = freshPrefix();
    const store = new Store(redis, prefix);
    const rec = makeRecord();
    const id = rec.spec.id;
    await store.create({ ...rec.spec, id });
    await store.setFields(id, { status: "running", started_at: Date.now() });
    await store.appendMessage(makeMessage(1, "Shall we begin with the figures from last quarter?"));

    const tmux = new Tmux(cliEnv(testRedisUrl()));
    const watch = tmux.start("watch", dialogueCommand(["watch", id, "--prefix", prefix]), { width: 120, height: 30 });
    const live = await tmux.until(watch, "the TUI following the run", (s) => s.includes("q detach") && s.includes("figures from last quarter"), 30_000);
    expect(live).toContain("running");

    // what `dialogue purge` or a Redis restart without persistence leaves: nothing of the run
    await redis.del(...store.keys.conversationKeys(id));
    const end = await tmux.until(watch, "watch exited", (s) => s.includes("[exit 1]"), 30_000, { history: true });
    const frame = end.slice(0, end.indexOf(`error: conversation ${id} disappeared`));
    expect(end).toContain(`error: conversation ${id} disappeared`);
    // the frame above the error: what happened, and no key offered any more
    expect(frame.replace(/\s+/g, " ")).toContain(`Stopped following the run: conversation ${id} disappeared.`);
    expect(frame).toContain("stopped following · last seen running");
    expect(frame).not.toContain("q detach");
    expect(frame).not.toContain("? help");
  }, 60_000);
});
