/**
 * Word lists for the content metrics: English stopwords (left out of topic vectors), negators
 * (flip the sentiment of the next words), and a small sentiment lexicon written for this project
 * (scores -3..+3, in the spirit of AFINN/VADER, covering everyday conversational words).
 */

export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but if then so of to in on at by for with from as is are was were be been being am it its it's " +
    "this that these those there here he she they them we us you your yours i me my mine our ours their theirs his her hers " +
    "what which who whom whose how why when where not no nor do does did done doing have has had having can could would " +
    "should will shall may might must just very really also too than into over under about after before again more most " +
    "some any each all both only own same other such up down out off once while because until against between through " +
    "during above below i'm i've i'd i'll you're you've you'd you'll we're we've we'd we'll they're they've that's there's " +
    "let's don't doesn't didn't isn't aren't wasn't weren't won't wouldn't can't couldn't shouldn't haven't hasn't hadn't " +
    "yes yeah ok okay well oh ah um uh like get got go going make made say said one two thing things something anything " +
    "everything nothing lot bit much many way still even ever now"
  ).split(" "),
);

/** a negator turns the sentiment of the next three words around (and halves it) */
export const NEGATORS: ReadonlySet<string> = new Set(
  (
    "not no never nothing nobody none neither nor without hardly barely don't doesn't didn't isn't aren't wasn't " +
    "weren't won't wouldn't can't cannot couldn't shouldn't haven't hasn't hadn't ain't"
  ).split(" "),
);

const POSITIVE: Record<number, string> = {
  3: "excellent amazing wonderful fantastic outstanding superb brilliant delighted thrilled love loved loving perfect " +
    "marvellous marvelous terrific",
  2: "good great happy glad pleased enjoy enjoyed enjoying liked nice lovely beautiful helpful thank thanks " +
    "grateful appreciate appreciated agree agreed excited exciting impressive pleasure welcome fair reasonable " +
    "confident optimistic hope hopeful success successful win winning benefit benefits safe secure comfortable " +
    "friendly kind generous trust trusted smart clever fun interesting valuable worth promising",
  1: "ok okay fine sure yes interested useful clear calm easy better improve improved improvement support supported " +
    "progress possible solution solve solved help helps ready willing open positive right correct simple relief " +
    "relieved convenient affordable stable steady honest care careful",
};

const NEGATIVE: Record<number, string> = {
  3: "terrible awful horrible hate hated disgusting furious disaster catastrophe worst miserable devastating " +
    "outrageous unacceptable",
  2: "bad sad angry upset worried worry worries afraid scared fear frustrated frustrating annoyed annoying " +
    "disappointed disappointing unfair expensive costly problem problems difficult hard risk risky fail failed " +
    "failure wrong loss lose losing hurt pain painful dangerous unsafe stressful stress anxious confused " +
    "doubt doubts complain complaint sorry regret poor",
  1: "concern concerns concerned issue issues tired boring slow late unclear unsure hesitant cautious " +
    "uncertain uncertainty strange odd tricky tough pressure delay delays cost costs lost miss missed",
};

function build(): Map<string, number> {
  const m = new Map<string, number>();
  for (const [score, words] of Object.entries(POSITIVE)) for (const w of words.split(/\s+/)) m.set(w, Number(score));
  for (const [score, words] of Object.entries(NEGATIVE)) for (const w of words.split(/\s+/)) m.set(w, -Number(score));
  return m;
}

/** word -> score in -3..+3 */
export const SENTIMENT: ReadonlyMap<string, number> = build();

/** VADER's normalisation constant: score / sqrt(score² + ALPHA) maps a sum into (-1, 1) */
export const SENTIMENT_ALPHA = 15;
/** a negated word counts this many times its score */
export const NEGATION_FACTOR = -0.5;
/** how many words after a negator it reaches */
export const NEGATION_REACH = 3;

/** words that are in the lexicon twice would make the score depend on the order above */
export function duplicateSentimentWords(): string[] {
  const all = [...Object.values(POSITIVE), ...Object.values(NEGATIVE)].flatMap((w) => w.split(/\s+/));
  return all.filter((w, i) => all.indexOf(w) !== i);
}
