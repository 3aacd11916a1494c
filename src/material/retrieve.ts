/**
 * Which of a run's material chunks a turn's prompt carries: the ones most relevant to the
 * conversation so far, ranked by MiniSearch (BM25 over the chunks' titles and text), as many as
 * fit in the budget, most relevant first. The query is the latest turns, and — at the start,
 * before anyone has spoken — the story's situation and the speaker's goals. When nothing matches,
 * the first chunk of each file (for a table, its summary) is offered instead.
 */
import MiniSearch from "minisearch";
import { STOPWORDS } from "../analysis/lexicon.js";
import { chunkTokens, type Chunk } from "./load.js";

/** the latest turns the query is made of */
export const QUERY_TURNS = 3;

export class MaterialIndex {
  private readonly search: MiniSearch<Chunk>;
  private readonly byId: Map<string, Chunk>;

  constructor(readonly chunks: readonly Chunk[]) {
    this.search = new MiniSearch<Chunk>({
      fields: ["title", "text"],
      storeFields: [],
      idField: "id",
      // stop words ("the", "in", "what") would match every chunk: only the words that carry meaning count
      processTerm: (term) => {
        const t = term.toLowerCase();
        return STOPWORDS.has(t) ? null : t;
      },
      searchOptions: { boost: { title: 1.5 }, prefix: true, fuzzy: 0.1, combineWith: "OR" },
    });
    this.search.addAll([...chunks]);
    this.byId = new Map(chunks.map((c) => [c.id, c]));
  }

  /** the chunks ranked for `query`, best first */
  rank(query: string): Chunk[] {
    return this.search.search(query).map((r) => this.byId.get(String(r.id))).filter((c): c is Chunk => c !== undefined);
  }

  /** what a prompt carries: the best chunks that fit in `budgetTokens`, and their size */
  select(query: string, budgetTokens: number): { chunks: Chunk[]; tokens: number } {
    let ranked = query.trim() ? this.rank(query) : [];
    if (ranked.length === 0) {
      const seen = new Set<string>();
      ranked = this.chunks.filter((c) => !seen.has(c.file) && seen.add(c.file));
    }
    const out: Chunk[] = [];
    let tokens = 0;
    for (const c of ranked) {
      const t = chunkTokens(c);
      if (tokens + t > budgetTokens) continue;
      out.push(c);
      tokens += t;
    }
    return { chunks: out, tokens };
  }
}
