/**
 * Dead letters: the failed jobs of one conversation, kept in Redis with their error, from the
 * control queue and its pools' request and response queues (and, for runs recorded before each
 * pool had a hash tag of its own, the same queues under the old shared tag).
 */
import type { Job } from "bullmq";
import type { Queues } from "./index.js";

export interface DeadLetter {
  queue: string;
  job_id: string;
  name: string;
  attempts: number;
  /** the turn a request or response job is for, as the views number it (null for control jobs) */
  turn: number | null;
  /** its message's sequence number in the log (a narrator's remarks and a copied history come between turns) */
  seq?: number | null;
  agent_id: string | null;
  failed_at: number | null;
  reason: string;
  /** the model's raw text, when a turn failed on its structured output */
  raw?: string;
}

/** turn jobs are "<id>.<seq>" (requests and responses), control jobs "<kind>.<id>" */
const belongs = (job: Job, id: string): boolean => {
  const data = job.data as { conversation_id?: unknown; message?: { metadata?: { conversation_id?: unknown } } } | null;
  const jobId = String(job.id);
  return (
    data?.conversation_id === id ||
    data?.message?.metadata?.conversation_id === id ||
    jobId.endsWith(`.${id}`) ||
    (jobId.startsWith(`${id}.`) && /^\d+$/.test(jobId.slice(id.length + 1)))
  );
};

/**
 * A failed job's reason as one readable line: a zod error's JSON dump of issues becomes
 * "path: message; …", anything else its first line; at most `max` characters.
 */
export function readableReason(reason: string | undefined, max = 400): string {
  const text = (reason ?? "").trim();
  let line = text.split("\n")[0] ?? "";
  const start = text.indexOf("[");
  if (start >= 0) {
    try {
      const issues = JSON.parse(text.slice(start)) as Array<{ path?: unknown[]; message?: string }>;
      if (Array.isArray(issues) && issues.every((i) => typeof i?.message === "string")) {
        const head = text.slice(0, start).trim().replace(/:$/, "");
        const list = issues.slice(0, 3).map((i) => `${(i.path ?? []).join(".") || "(root)"}: ${i.message}`).join("; ");
        line = `${head ? `${head}: ` : ""}${list}${issues.length > 3 ? `; … ${issues.length - 3} more` : ""}`;
      }
    } catch {
      // not a zod dump: the first line it is
    }
  }
  if (line === "") line = "(no reason recorded)";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export async function deadLetters(queues: Queues, id: string, pools: string[]): Promise<DeadLetter[]> {
  const named = [
    [queues.keys.controlQueue(), queues.control()] as const,
    ...pools.flatMap((p) => [
      [queues.keys.requestQueue(p), queues.requests(p)] as const,
      [queues.keys.responseQueue(p), queues.responses(p)] as const,
      // runs recorded before each pool had a hash tag of its own keep their jobs under the old one
      [queues.keys.requestQueue(p), queues.legacyRequests(p)] as const,
      [queues.keys.responseQueue(p), queues.legacyResponses(p)] as const,
    ]),
  ];
  const out: DeadLetter[] = [];
  for (const [name, queue] of named) {
    for (let start = 0; ; start += 500) {
      const jobs = await queue.getFailed(start, start + 499);
      for (const job of jobs) {
        if (!job || !belongs(job, id)) continue;
        const data = job.data as { raw?: unknown; sequence_number?: unknown; agent_id?: unknown; failed_attempts?: unknown } | null;
        const raw = data?.raw;
        // a turn's attempts are made inside one job (its data lists the failed ones)
        const inJob = Array.isArray(data?.failed_attempts) ? data.failed_attempts.length : 0;
        out.push({
          queue: name,
          job_id: String(job.id),
          name: job.name,
          attempts: Math.max(job.attemptsMade, (job as Job & { attemptsStarted?: number }).attemptsStarted ?? 0, inJob),
          turn: typeof data?.sequence_number === "number" ? data.sequence_number : null,
          agent_id: typeof data?.agent_id === "string" ? data.agent_id : null,
          failed_at: job.finishedOn ?? null,
          reason: readableReason(job.failedReason),
          ...(typeof raw === "string" ? { raw } : {}),
        });
      }
      if (jobs.length < 500) break;
    }
  }
  return out.sort((a, b) => (a.failed_at ?? 0) - (b.failed_at ?? 0));
}
