/**
 * The name this process gives its host: in the `worker` field of every message, in BullMQ's
 * `processedBy`, and in its heartbeat (redis/presence.ts). `DIALOGUE_HOSTNAME` overrides the
 * machine's name: containers whose names say nothing, or tests that play several hosts on one.
 */
import os from "node:os";

export function hostName(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.DIALOGUE_HOSTNAME?.trim();
  return given ? given.slice(0, 200) : os.hostname();
}
