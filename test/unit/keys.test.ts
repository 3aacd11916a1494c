import { describe, expect, it } from "vitest";
import { isSafeId, isSafePrefix, Keys } from "../../src/protocol/keys.js";

/** CRC16/XMODEM (poly 0x1021, init 0), the checksum Redis Cluster uses for key slots */
function crc16(data: string): number {
  let crc = 0;
  for (const byte of Buffer.from(data, "utf8")) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/** the Redis Cluster slot of a key: the content of the first non-empty {hash tag}, else the whole key */
function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open !== -1) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) return crc16(key.slice(open + 1, close)) % 16384;
  }
  return crc16(key) % 16384;
}

const hashTag = (key: string): string | null => /\{([^}]*)\}/.exec(key)?.[1] ?? null;

describe("the test's own CRC16 / slot function", () => {
  it("matches the reference values from the Redis Cluster spec", () => {
    expect(crc16("123456789")).toBe(0x31c3);
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("{user1000}.following")).toBe(keySlot("{user1000}.followers"));
    expect(keySlot("{user1000}.following")).toBe(keySlot("user1000"));
    // an empty tag does not count: the whole key is hashed
    expect(keySlot("foo{}{bar}")).toBe(crc16("foo{}{bar}") % 16384);
  });
});

describe("Keys: one conversation's keys", () => {
  const ids = ["20261121-143005-k3f9a", "a", "conv.1", "A_b-C.9", "x".repeat(120)];
  const prefixes = ["dialogue", "t1", "team:prod", "a.b-c_d"];

  it.each(prefixes.flatMap((p) => ids.map((id) => [p, id] as const)))(
    "prefix %s, id %s: same prefix, same {id} tag, same slot",
    (prefix, id) => {
      const keys = new Keys(prefix);
      const all = [...keys.conversationKeys(id), keys.record(id), keys.log(id), keys.tokens(id), keys.analysis(id)];
      for (const key of all) {
        expect(key.startsWith(`${prefix}:`)).toBe(true);
        expect(hashTag(key)).toBe(id);
        expect(key).toContain(`{${id}}`);
      }
      expect(new Set(all.map(keySlot)).size).toBe(1);
      expect(keySlot(keys.record(id))).toBe(crc16(id) % 16384);
    },
  );

  it("record, log, tokens, analysis, remarks, material and staging are seven distinct keys, all listed by conversationKeys()", () => {
    const keys = new Keys("dialogue");
    const listed = keys.conversationKeys("c1");
    expect(new Set(listed).size).toBe(7);
    expect(listed).toEqual(
      expect.arrayContaining([keys.record("c1"), keys.log("c1"), keys.tokens("c1"), keys.analysis("c1"), keys.remarks("c1"), keys.material("c1"), keys.staging("c1")]),
    );
  });

  it("different conversations get different keys", () => {
    const keys = new Keys("dialogue");
    const a = keys.conversationKeys("c1");
    const b = keys.conversationKeys("c2");
    expect(a.filter((k) => b.includes(k))).toEqual([]);
  });

  it("the prefix-wide keys are under the prefix and distinct", () => {
    const keys = new Keys("dialogue");
    const shared = [keys.index(), keys.pools(), keys.abortChannel()];
    for (const k of shared) expect(k.startsWith("dialogue:")).toBe(true);
    expect(new Set(shared).size).toBe(3);
  });
});

describe("Keys: BullMQ queue names and job ids", () => {
  const keys = new Keys("dialogue");

  it("queue names contain no ':' (BullMQ forbids it)", () => {
    const names = [keys.controlQueue(), keys.requestQueue("pool-a"), keys.responseQueue("pool-a"), keys.requestQueue("x.y_z")];
    for (const n of names) {
      expect(n).not.toContain(":");
      expect(n.length).toBeGreaterThan(0);
    }
  });

  it("request and response queues of one pool differ, and differ across pools", () => {
    const names = [keys.requestQueue("a"), keys.responseQueue("a"), keys.requestQueue("b"), keys.responseQueue("b"), keys.controlQueue()];
    expect(new Set(names).size).toBe(names.length);
  });

  it("each pool's two queues share a hash tag of their own; the control queue has the prefix's", () => {
    for (const prefix of ["dialogue", "team:prod"]) {
      const k = new Keys(prefix);
      expect(k.controlPrefix()).toBe(`{${prefix}}`);
      expect(k.poolPrefix("a")).toBe(`{${prefix}/a}`);
      expect(k.prefixOf(k.controlQueue())).toBe(k.controlPrefix());
      expect(k.prefixOf(k.requestQueue("a"))).toBe(k.poolPrefix("a"));
      expect(k.prefixOf(k.responseQueue("x.y_z"))).toBe(k.poolPrefix("x.y_z"));
      // BullMQ builds keys as `${prefix}:${queueName}:${suffix}`
      const keysOf = (q: string) => ["wait", "active", "meta", "events", "1"].map((s) => `${k.prefixOf(q)}:${q}:${s}`);
      const poolA = [k.requestQueue("a"), k.responseQueue("a")].flatMap(keysOf);
      const poolB = [k.requestQueue("b"), k.responseQueue("b")].flatMap(keysOf);
      const control = keysOf(k.controlQueue());
      expect(new Set(poolA.map(keySlot)).size).toBe(1);
      expect(new Set(poolB.map(keySlot)).size).toBe(1);
      expect(new Set(control.map(keySlot)).size).toBe(1);
      expect(keySlot(poolA[0]!)).not.toBe(keySlot(poolB[0]!));
      expect(keySlot(poolA[0]!)).not.toBe(keySlot(control[0]!));
    }
  });

  it("the old shared tag is still there for runs recorded before (and is the control queue's)", () => {
    const k = new Keys("dialogue");
    expect(k.legacyQueuePrefix()).toBe("{dialogue}");
    expect(k.legacyQueuePrefix()).toBe(k.controlPrefix());
  });

  it("job ids contain no ':' and are not plain integers (BullMQ rejects both as custom ids)", () => {
    for (const id of ["c1", "20261121-143005-k3f9a", "42"]) {
      const jobIds = [keys.turnJobId(id, 1), keys.turnJobId(id, 250), keys.startJobId(id), keys.deadlineJobId(id), keys.finalizeJobId(id)];
      for (const j of jobIds) {
        expect(j).not.toContain(":");
        expect(String(Number.parseInt(j, 10))).not.toBe(j);
      }
      expect(new Set(jobIds).size).toBe(jobIds.length);
    }
  });

  it("job ids are deterministic: the same turn gives the same id", () => {
    expect(keys.turnJobId("c1", 3)).toBe(new Keys("other").turnJobId("c1", 3));
    expect(keys.turnJobId("c1", 3)).not.toBe(keys.turnJobId("c1", 4));
    expect(keys.startJobId("c1")).toBe(keys.startJobId("c1"));
  });

  it("log entry ids are explicit stream ids ordered by sequence number", () => {
    expect(keys.logEntryId(1)).toBe("1-0");
    expect(keys.logEntryId(12)).toBe("12-0");
  });
});

describe("Keys: invalid input throws", () => {
  const badIds = ["", "a:b", "a b", " a", "{a}", "a{b", "a}b", "x".repeat(121), "a\nb", "é"];

  it.each(badIds)("conversation id %j", (id) => {
    const keys = new Keys("dialogue");
    expect(isSafeId(id)).toBe(false);
    expect(() => keys.record(id)).toThrow(/invalid conversation id/);
    expect(() => keys.log(id)).toThrow();
    expect(() => keys.tokens(id)).toThrow();
    expect(() => keys.conversationKeys(id)).toThrow();
  });

  it.each(badIds)("pool %j", (pool) => {
    const keys = new Keys("dialogue");
    expect(() => keys.requestQueue(pool)).toThrow(/invalid pool name/);
    expect(() => keys.responseQueue(pool)).toThrow(/invalid pool name/);
  });

  it.each(["", "a b", "{a}", "a{", "a}", "x".repeat(65), "a/b"])("prefix %j", (prefix) => {
    expect(isSafePrefix(prefix)).toBe(false);
    expect(() => new Keys(prefix)).toThrow(/invalid key prefix/);
  });

  it("':' is allowed in a prefix (namespacing), but not in ids or pools", () => {
    expect(() => new Keys("team:prod")).not.toThrow();
    expect(isSafeId("team:prod")).toBe(false);
  });
});

describe("Keys: prefixes keep runs apart", () => {
  it("two prefixes give disjoint keys, queue prefixes and channels", () => {
    // a pool's tag cannot be another prefix's: '/' is in no prefix
    const build = (k: Keys): string[] => [
      k.index(),
      k.pools(),
      k.abortChannel(),
      k.presence(),
      k.checksChannel(),
      k.controlPrefix(),
      k.poolPrefix("a"),
      ...["c1", "c2"].flatMap((id) => k.conversationKeys(id)),
    ];
    for (const [p1, p2] of [
      ["dialogue", "other"],
      ["a", "a:b"],
      ["dialogue", "dialogue2"],
    ] as const) {
      const a = build(new Keys(p1));
      const b = build(new Keys(p2));
      expect(a.filter((k) => b.includes(k))).toEqual([]);
    }
  });
});
