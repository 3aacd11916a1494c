/**
 * A run's material in Redis, so that workers on any host see it.
 *
 * Reads/writes: material(ID) hash, chunk id -> Chunk JSON { id, file, title, text } (written once,
 * before the manager is asked to start the run; never changed). Returns the chunks in their order.
 */
import { z } from "zod";
import type { Store } from "../redis/store.js";
import type { Chunk } from "./load.js";

const ChunkSchema = z.object({ id: z.string().min(1).max(200), file: z.string(), title: z.string(), text: z.string() }).strict();

export async function writeMaterial(store: Store, id: string, chunks: readonly Chunk[]): Promise<void> {
  if (chunks.length === 0) return;
  await store.redis.hset(store.keys.material(id), Object.fromEntries(chunks.map((c) => [c.id, JSON.stringify(ChunkSchema.parse(c))])));
}

/** the chunks, file by file (by name), each file's in the order they were cut ("<file>#1", "#2", …) */
export async function readMaterial(store: Store, id: string): Promise<Chunk[]> {
  const h = await store.redis.hgetall(store.keys.material(id));
  const num = (c: Chunk): number => Number(c.id.slice(c.id.lastIndexOf("#") + 1));
  const chunks = Object.values(h).map((raw) => ChunkSchema.parse(JSON.parse(raw)));
  return chunks.sort((a, b) => (a.file === b.file ? num(a) - num(b) : a.file < b.file ? -1 : 1));
}
