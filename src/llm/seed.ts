/**
 * Seeds of generations. A run has one seed (recorded in its spec); each generation whose options
 * set no seed of their own gets one derived from it.
 */

/**
 * The seed of one generation of a run: from the run's seed, the turn (the manager's own
 * generations: -1 the story, -2 the personas) and the attempt, so every turn and every retry samples differently and the same
 * run seed gives the same run.
 */
export function generationSeed(runSeed: number, seq: number, attempt: number): number {
  let h = (runSeed ^ 0x9e3779b9) >>> 0;
  for (const v of [seq, attempt]) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h % 2_147_483_647;
}
