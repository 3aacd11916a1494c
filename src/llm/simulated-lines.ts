/**
 * What simulated speakers say in a turn (simulated-turn.ts puts it together). Every line is a
 * whole sentence written for the slot it fills, so nothing is glued together mid-sentence from
 * text taken apart. Placeholders, filled from the story and the personas:
 *   {me} my full name · {you} the addressee's first name · {myRole} / {yourRole} "a local resident"
 *   {goal} my goal, first person ("find out what is worth seeing in town") · {yourGoal} the
 *   addressee's, second person · {place} "the small cafe near the train station" ({Place}
 *   capitalised) · {daypart} "afternoon" · {issue} "whether to refinance or pay down the loan" ·
 *   {x} the filler of the slot (a starting point, a worry …), {X} the same capitalised.
 * A line whose placeholder has no value in this story is never used.
 */

export type Register = "formal" | "casual" | "blunt" | "neutral";

export const GREETINGS: Record<Register, readonly string[]> = {
  neutral: ["Hello {you}, I'm {me}.", "Hi {you}, I'm {me}; good to meet you."],
  formal: ["Good to meet you, {you}; my name is {me}.", "Thank you for making the time, {you}; I'm {me}."],
  casual: ["Hey {you}, I'm {me}, nice to meet you!", "Oh, hi {you}! I'm {me}."],
  blunt: ["Hello {you}; I'm {me}.", "{you}, I'm {me}."],
};

/** the first speaker of three or more greets everyone (no one else has spoken), one for one with GREETINGS */
export const GROUP_GREETINGS: Record<Register, readonly string[]> = {
  neutral: ["Hello everyone, I'm {me}.", "Hi all, I'm {me}; good to meet you."],
  formal: ["Good to meet you all; my name is {me}.", "Thank you all for making the time; I'm {me}."],
  casual: ["Hey everyone, I'm {me}, nice to meet you!", "Oh, hi all! I'm {me}."],
  blunt: ["Hello all; I'm {me}.", "Everyone, I'm {me}."],
};

export const GREETINGS_BACK = ["Nice to meet you too, {you}; I'm {me}.", "Good to meet you, {you}, I'm {me}.", "Hello {you}, I'm {me}."] as const;

export const ROLE_INTROS = ["I'm {myRole}, as you may have guessed.", "I'm here as {myRole}."] as const;

export const PURPOSES = ["I'm hoping to {goal}.", "What I'd like today is to {goal}.", "Ideally, I'd like to {goal}."] as const;

export const PLACE_LINES = ["{Place} is a good place for this.", "{Place} suits a conversation like this."] as const;

/** a question, the replies that answer it, and how a reply recognises it */
export interface QuestionKind {
  id: string;
  asks: readonly string[];
  /** matches the question (the last sentence of a message) */
  match: RegExp;
  answers: readonly string[];
  /** what {x} can be in an answer */
  fillers?: readonly string[];
}

export const QUESTIONS: readonly QuestionKind[] = [
  {
    id: "start",
    asks: ["As {yourRole}, where would you start?", "Where would you start, {you}, as {yourRole}?"],
    match: /where would you start/i,
    answers: ["As {myRole}, I'd start with {x}.", "I'd start with {x}; that's how I'd do it as {myRole}."],
    fillers: [
      "what we already know for certain",
      "the part that is hardest to undo",
      "the one thing we both agree on",
      "the question nobody has asked yet",
      "whatever costs the least to try",
      "the smallest step that still tells us something",
      "the people it affects most",
    ],
  },
  {
    id: "matters",
    asks: ["What matters most to you in all this, {you}?", "What matters most to you here?"],
    match: /what matters most to you/i,
    answers: ["What matters most to me is {x}.", "Honestly, what matters most to me is {x}."],
    fillers: [
      "that nobody is surprised later",
      "being honest about the trade-offs",
      "getting it right rather than getting it fast",
      "that it still makes sense a year from now",
      "that we both leave understanding the same thing",
      "keeping it simple enough to explain",
    ],
  },
  {
    id: "worry",
    asks: ["What worries you most about it?", "Is there anything about it that worries you?"],
    match: /worries you/i,
    answers: ["What worries me most is {x}.", "If anything worries me, it's {x}."],
    fillers: [
      "deciding too quickly",
      "the part nobody has priced in",
      "that the easy option hides a cost",
      "how this will look a year from now",
      "that we end up talking past each other",
      "promising more than we can keep",
    ],
  },
  {
    id: "seen",
    asks: ["Have you seen this go well before?", "Have you ever seen it go well, {you}?"],
    match: /seen (this|it) go well/i,
    answers: ["I have seen it go well a few times, and each time {x}.", "I've seen it go well once or twice; {x}."],
    fillers: [
      "someone took the time to ask the obvious questions",
      "the plan was simple enough to explain in a minute",
      "people said early on what they did not know",
      "nobody tried to win every point",
      "the first step was small and easy to reverse",
    ],
  },
  {
    id: "need",
    asks: ["What would you need from me to {yourGoal}?", "What would it take for you to {yourGoal}?"],
    match: /what would (you need from me|it take for you) to/i,
    answers: ["To {goal}, I'd need {x}.", "I'd need {x}; that's what it would take to {goal}."],
    fillers: [
      "a clear picture of the options",
      "a little more time than we have today",
      "one straight answer from you",
      "someone to tell me where the catch is",
      "a way to try it before committing",
    ],
  },
  {
    id: "issue",
    asks: ["So where do you stand on {issue}?", "Where do you stand, {you}, on {issue}?"],
    match: /where do you stand/i,
    answers: ["Where I stand on {issue}: {x}.", "On {issue}, {x}."],
    fillers: [
      "I lean one way, but I want to hear the strongest case against it",
      "I'm not settled yet, and I'd rather admit that",
      "I know where I stand, but I can be persuaded",
      "it depends on details we haven't covered yet",
    ],
  },
  {
    id: "example",
    asks: ["Can you give me an example, {you}?", "Do you have an example of that?"],
    match: /an example/i,
    answers: ["For example, I once {x}.", "Here's an example: I once {x}."],
    fillers: [
      "watched a good plan fail because nobody asked who it would affect",
      "changed my mind halfway through, and it was the right call",
      "waited too long to decide and lost the better option",
      "took the cautious route and never regretted it",
      "said yes too quickly and spent a month undoing it",
    ],
  },
  {
    id: "change",
    asks: ["What would change your mind?", "Is there anything that would change your mind, {you}?"],
    match: /change your mind/i,
    answers: ["{X} would change my mind.", "Honestly, {x} would change my mind."],
    fillers: ["a clear example that it works", "one honest number", "hearing it from someone who has done it", "a way to undo it if it goes wrong"],
  },
  {
    id: "step",
    asks: ["What would the first step be?", "So what would you do first, {you}?"],
    match: /(first step be|what would you do first)/i,
    answers: ["The first step would be {x}.", "First, I would want {x}."],
    fillers: ["to write down what we agree on", "to check the one number we're unsure of", "to talk to the people it affects", "to try it once, on a small scale"],
  },
  {
    id: "why",
    asks: ["Why do you say that, {you}?", "What makes you say that?"],
    match: /(why do you say that|what makes you say that)/i,
    answers: ["I say that because {x}.", "Mostly, I say that because {x}."],
    fillers: [
      "I've been caught out before",
      "it's what I'd want if I were in your place",
      "the easy answer rarely survives the first week",
      "it's the part people regret skipping",
      "I'd rather be honest than agreeable",
    ],
  },
  {
    id: "fair",
    asks: ["Does that sound fair to you?", "Would you agree with that, {you}?"],
    match: /(sound fair to you|would you agree with that)/i,
    answers: ["That sounds fair, {you}, and I'd agree with it.", "Yes, I'd agree; it sounds fair to me.", "Mostly, yes: I'd agree it's fair."],
  },
];

/** what a speaker says back to a point it recognises in the last message (see POINTS) */
export interface PointKind {
  /** finds the point in a sentence; group 1 is the point */
  find: RegExp;
  /** replies that take it up; {x} is the point as the speaker heard it */
  replies: readonly string[];
  /** the point, as the replying speaker says it ("my" becomes "your") */
  heard?: (x: string) => string;
}

export const POINTS: readonly PointKind[] = [
  {
    find: /I'd start with (.+?)[.;]/,
    replies: ["Starting with {x} makes sense to me, {you}.", "I'm not sure about starting with {x}, {you}."],
  },
  {
    find: /(?:What worries me most is|If anything worries me, it's) (.+?)\./,
    replies: ["You're right to worry {x}, {you}.", "I wouldn't worry too much {x}, {you}."],
    heard: (x) => (x.startsWith("that ") ? x : `about ${x}`),
  },
  {
    find: /what matters most to me is (.+?)\./i,
    replies: ["I can work with that, {you}; it matters to me too.", "That matters to me as well, {you}."],
  },
  {
    find: /I'd need (.+?)[.;]/,
    replies: ["If you need {x}, I can help with that.", "I'll do what I can to get you {x}, {you}."],
  },
  {
    find: /(?:I'm hoping to|What I'd like today is to|Ideally, I'd like to) (.+?)\./,
    replies: ["You said you want to {x}; fair enough, {you}.", "I understand you want to {x}, {you}."],
  },
];

/** a reaction when nothing in the last message is recognised: [sentiment nudge, line] */
export const ACKS: ReadonlyArray<readonly [number, string]> = [
  [1, "That's a fair point, {you}."],
  [1, "I see what you mean, {you}."],
  [1, "You're right about that, {you}."],
  [1, "I hadn't thought of it that way, {you}."],
  [0, "Let me think about that for a second."],
  [0, "Noted, {you}."],
  [-1, "I'm not sure I agree, {you}."],
  [-1, "I see it a little differently, {you}."],
  [-1, "I'd push back on that a little, {you}."],
];

/** a speaker's own points, tied to the story where it can be */
export const ISSUE_POINTS = ["It really comes down to {issue}.", "The question is still {issue}.", "Everything we've said comes back to {issue}."] as const;
export const GOAL_POINTS = ["I still want to {goal}.", "I haven't lost sight of why I came: to {goal}."] as const;
export const YOUR_GOAL_POINTS = ["I know you want to {yourGoal}, and I respect that.", "You want to {yourGoal}; I think we can manage both."] as const;
export const ROLE_POINTS = ["Speaking as {myRole}, {x}.", "From where I sit, as {myRole}, {x}."] as const;
export const ROLE_INSIGHTS = [
  "the small details decide more than the big plan",
  "people rarely say what worries them first",
  "timing matters more than it looks",
  "the first answer is rarely the whole story",
  "it's easier to start something than to undo it",
  "the surprises come later, not at the start",
  "you learn more from the questions than from the answers",
  "most decisions look different a month later",
] as const;

/** one line per trait a persona may have (simulated-phrases.ts TRAITS) */
export const TRAIT_POINTS: Readonly<Record<string, string>> = {
  curious: "I'm curious how that would work in practice.",
  patient: "There's no rush on my side.",
  direct: "Let me be plain: I'd like a clear answer.",
  skeptical: "I'll admit I'm still a little skeptical.",
  warm: "I'm glad we're talking about this at all.",
  methodical: "I'd like to take it one step at a time.",
  impatient: "I'd like us to get to a decision soon.",
  optimistic: "I think this can work out well for both of us.",
  guarded: "I'd rather not promise anything yet.",
  witty: "If it were easy, we wouldn't need this conversation.",
  pragmatic: "Whatever we decide has to work on an ordinary day.",
  "detail-oriented": "The details will decide this, so let's not skip them.",
  empathetic: "I can see why this matters to you.",
  stubborn: "I'm not ready to give up on my view just yet.",
  thoughtful: "Let me think that through properly before I answer.",
  ambitious: "I'd like us to aim a little higher than that.",
};

export const GENERIC_POINTS = [
  "I'd rather get this right than get it done quickly.",
  "Most of the trouble starts when people stop asking questions.",
  "The simple option is often the honest one.",
  "It helps to say out loud what we're not sure about.",
  "We don't have to agree on everything to agree on a next step.",
  "I'd like whatever we decide to still make sense next year.",
  "I think we're closer than it sounds.",
  "Part of this is simply a matter of trust.",
  "I'd rather hear the hard part now than later.",
  "There's usually a middle way if we look for it.",
  "I don't want to decide anything on a guess.",
  "Some of this only becomes clear once we try it.",
  "Nobody wins if one of us leaves unhappy.",
  "I'd like to hear your side before I decide.",
  "It's worth being clear about what we can't change.",
  "A good plan should survive a bad week.",
  "I'd rather start small and build from there.",
  "We should be honest about what this costs.",
  "I keep thinking about what happens if we're wrong.",
  "The best option may not be the obvious one.",
  "I don't need everything settled today.",
  "Whatever we choose, I'd like us to be able to explain it.",
  "It matters who carries the risk.",
  "I'm trying to keep an open mind.",
] as const;

/** interjections a register puts before a point now and then */
export const INTERJECTIONS: Record<Register, readonly string[]> = {
  neutral: ["To be honest, ", "For what it's worth, "],
  formal: ["If I may, ", "With respect, "],
  casual: ["Honestly, ", "You know, "],
  blunt: ["Frankly, ", "Plainly, "],
};

export const WIND_DOWNS = ["We're nearly out of time, so let me sum up.", "Before we finish, let me try to sum up."] as const;
export const SUMMARIES = ["You want to {yourGoal}, and I want to {goal}.", "As I understand it, you want to {yourGoal}; I want to {goal}."] as const;
export const SUMMARY_FALLBACKS = ["I think we understand each other better than when we started.", "We've covered more ground than I expected."] as const;
export const THANKS = ["Thank you, {you}; this was worth the time.", "Thanks, {you}, I enjoyed this.", "It was good to talk, {you}."] as const;
export const FAREWELLS = ["Enjoy the rest of your {daypart}.", "Have a good {daypart}.", "I'll let you get on with your {daypart}."] as const;
export const FAREWELLS_PLAIN = ["Take care.", "Let's talk again soon."] as const;
