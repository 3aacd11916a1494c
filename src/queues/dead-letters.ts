/**
 * Dead letters: the failed jobs of one conversation, kept in Redis with their error, from the
 * control queue and its pools' request and response queues.
 */
import type { Job } from "bullmq";
import type { Queues } from "./index.js";

export interface DeadLetter {
  queue: string;
  job_id: string;
  name: string;
  attempts: number;
  failed_at: number | null;
  reason: string;
  /** the model's raw text, when a turn failed on its structured output */
  raw?: string;
}

const belongs = (job: Job, id: string): boolean => {
  const data = job.data as { conversation_id?: unknown; message?: { metadata?: { conversation_id?: unknown } } } | null;
  return data?.conversation_id === id || data?.message?.metadata?.conversation_id === id || String(job.id).endsWith(`.${id}`);
};

export async function deadLetters(queues: Queues, id: string, pools: string[]): Promise<DeadLetter[]> {
  const named = [
    [queues.keys.controlQueue(), queues.control()] as const,
    ...pools.flatMap((p) => [
      [queues.keys.requestQueue(p), queues.requests(p)] as const,
      [queues.keys.responseQueue(p), queues.responses(p)] as const,
    ]),
  ];
  const out: DeadLetter[] = [];
  for (const [name, queue] of named) {
    for (let start = 0; ; start += 500) {
      const jobs = await queue.getFailed(start, start + 499);
      for (const job of jobs) {
        if (!job || !belongs(job, id)) continue;
        const raw = (job.data as { raw?: unknown } | null)?.raw;
        out.push({
          queue: name,
          job_id: String(job.id),
          name: job.name,
          attempts: Math.max(job.attemptsMade, (job as Job & { attemptsStarted?: number }).attemptsStarted ?? 0),
          failed_at: job.finishedOn ?? null,
          reason: job.failedReason,
          ...(typeof raw === "string" ? { raw } : {}),
        });
      }
      if (jobs.length < 500) break;
    }
  }
  return out.sort((a, b) => (a.failed_at ?? 0) - (b.failed_at ?? 0));
}
