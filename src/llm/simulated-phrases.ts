/**
 * Phrase banks for the simulated provider (see simulated-text.ts). Templates are written in
 * lower case and completed there: the first letter is capitalised and a full stop added.
 * Placeholders: {partner} first name, {me} full name, {myRole} / {partnerRole} "the <role>",
 * {goal} a verb phrase, {topic} / {topic2} / {kw} noun phrases ("the timing").
 * {topic} never sits in subject position, so singular and plural phrases both read well.
 */

export const FIRST_NAMES = [
  "Maya", "Tomas", "Aisha", "Daniel", "Ingrid", "Kenji", "Lucia", "Omar", "Priya", "Samuel",
  "Elena", "Marcus", "Noor", "Felix", "Hana", "Diego", "Zofia", "Ravi", "Claire", "Jonah",
  "Amara", "Viktor", "Leila", "Oscar", "Mei", "Henrik", "Farah", "Luca", "Nadia", "Theo",
  "Sofia", "Kwame", "Ines", "Arjun", "Greta", "Mateo", "Yara", "Elliot", "Chloe", "Idris",
] as const;

export const LAST_NAMES = [
  "Okafor", "Lindqvist", "Moreau", "Tanaka", "Alvarez", "Brennan", "Kowalski", "Haddad", "Iyer", "Fischer",
  "Novak", "Castillo", "Osei", "Bergstrom", "Nakamura", "Rossi", "Abbott", "Chen", "Delacroix", "Mensah",
  "Petrov", "Quinn", "Rahman", "Sato", "Thornton", "Ueda", "Varga", "Whitaker", "Yilmaz", "Zimmerman",
  "Laurent", "Duarte", "Farouk", "Gallagher", "Hoffman", "Ivanova", "Jensen", "Kaur", "Mbeki", "Park",
] as const;

export const TIMES = [
  "It is late afternoon, and the light is starting to fade.",
  "It is a grey weekday morning, a little after nine.",
  "It is early evening; most people are heading home.",
  "It is the middle of a busy day, and the clock is hard to ignore.",
  "Rain has been falling since dawn.",
  "It is a bright, cold morning.",
] as const;

export const AMBIENCE = [
  "Conversations hum in the background.",
  "A clock ticks somewhere nearby.",
  "Neither of them is in a hurry, but both have somewhere else to be.",
  "The room is quieter than expected.",
  "Someone laughs at a table across the room.",
  "A phone buzzes and is ignored.",
] as const;

export const INTENTS = [
  "has come with questions of their own",
  "is not yet sure what to make of all this",
  "would rather listen first",
  "hopes this will not take long",
  "has been looking forward to this",
  "has a few doubts but an open mind",
] as const;

export const HOOKS = [
  "Neither knows quite what to expect from the other.",
  "The first few minutes will set the tone.",
  "Something unspoken hangs between them.",
  "Both suspect the conversation will matter more than it seems.",
  "There is no script for what comes next.",
] as const;

export const TRAITS = [
  "curious", "patient", "direct", "skeptical", "warm", "methodical", "impatient", "optimistic",
  "guarded", "witty", "pragmatic", "detail-oriented", "empathetic", "stubborn", "thoughtful", "ambitious",
] as const;

export const EXTRA_GOALS = [
  "find out what {other} really wants",
  "leave with a clear next step",
  "keep the conversation honest",
  "make a good first impression",
  "avoid committing to anything too early",
  "find some common ground",
  "get a straight answer or two",
] as const;

export const STYLES = [
  "polite and precise, a little formal",
  "measured and professional; chooses words carefully",
  "warm and chatty, with the odd joke",
  "relaxed and friendly; thinks out loud",
  "short, direct sentences; gets to the point",
  "blunt but fair; no small talk",
  "thoughtful; asks follow-up questions",
  "calm and curious; listens before answering",
] as const;

export const GENERIC_TOPICS = [
  "the timing", "the details", "the next step", "trust", "the bigger picture", "the risks", "the first step",
  "our priorities", "past experience", "the people involved", "the small print", "a fallback plan",
  "the long run", "honesty", "expectations", "the cost of waiting", "what happens next",
  "the obvious objection", "the hard part", "a fair compromise", "the budget", "the deadline",
] as const;

export const GREETINGS = {
  neutral: ["hello {partner}, I'm {me}", "hi {partner}, my name is {me}", "nice to meet you, {partner}; I'm {me}"],
  formal: ["good to meet you, {partner}; my name is {me}", "{partner}, thank you for your time; I am {me}"],
  casual: ["hey {partner}, I'm {me}", "hi there, {partner}! {me} here", "oh, hi {partner}, I'm {me}"],
  blunt: ["{partner}, I'm {me}", "hello {partner}; {me}"],
} as const;

export const GREETINGS_BACK = [
  "hello {partner}, I'm {me}",
  "good to meet you, {partner}; I'm {me}",
  "thanks for starting us off, {partner}; I'm {me}",
  "hi {partner}, nice to meet you; I'm {me}",
] as const;

export const PURPOSES = [
  "I'm here to {goal}",
  "what I'd like from today is to {goal}",
  "the reason I came is to {goal}",
  "ideally, I'd like to {goal}",
  "my aim is simple: to {goal}",
  "I'm hoping to {goal} before we're done",
] as const;

export const INTERJECTIONS = {
  neutral: ["as I see it, ", "for what it's worth, ", "in my view, ", "to be honest, "],
  formal: ["if I may, ", "with respect, ", "to be precise, ", "in my view, "],
  casual: ["honestly, ", "look, ", "you know, ", "okay, so "],
  blunt: ["frankly, ", "plainly, ", "bottom line: ", "straight up, "],
} as const;

export const CLAIMS = [
  "I keep coming back to {topic}",
  "for me, it all depends on {topic}",
  "the real question is how {topic} and {topic2} fit together",
  "if we get {topic} right, the rest will follow",
  "I've seen things go wrong when nobody paid attention to {topic}",
  "let me be concrete: {topic} first, then {topic2}",
  "I still want to {goal}, and that means looking at {topic}",
  "what matters most to me is that we {goal}",
  "there's a practical side to {topic} we shouldn't skip",
  "I'd rather talk about {topic} than guess",
  "we haven't really touched on {topic2} yet",
  "my worry is that we lose sight of {topic}",
  "in my experience, the surprises hide in {topic}",
  "I can live with some uncertainty about {topic2}, but not about {topic}",
  "it helps to separate {topic} from {topic2}",
  "nobody has asked me about {topic} in a while",
  "I'd like us to be honest about {topic}",
  "part of being {myRole} is thinking about {topic}",
  "that's partly why I came here wanting to {goal}",
  "I made a note about {topic} before we started",
  "we could spend all day on {topic2}, so let's stay focused",
  "the way I see it, {topic} and {topic2} are connected",
  "I'm more relaxed about {topic2} than I was an hour ago",
  "there's a simple version of {topic} and a complicated one",
  "give me a minute on {topic}; it's not as simple as it sounds",
  "I'd put {topic} near the top of the list",
  "last time I ignored {topic}, it cost me",
  "I suspect we agree on {topic} more than it seems",
] as const;

export const QUESTIONS = [
  "what do you think about {topic}?",
  "how do you see {topic}?",
  "would it help to talk about {topic} first?",
  "can you tell me more about {topic}?",
  "what would change your mind on {topic}?",
  "where does that leave {topic2}?",
  "how soon could we settle {topic}?",
  "have you dealt with {topic} before?",
  "what's your honest take on {topic2}?",
  "which matters more to you, {topic} or {topic2}?",
  "what worries you most about {topic}?",
  "have you thought about {topic2} at all?",
  "what would a good outcome look like for you?",
  "as {partnerRole}, how would you handle {topic}?",
  "am I missing something about {topic}?",
  "could we come back to {topic2} later?",
] as const;

/** [polarity, template]: polarity nudges the sentiment */
export const ACKS: ReadonlyArray<readonly [number, string]> = [
  [1, "you mentioned {kw}, and that stuck with me"],
  [1, "that point about {kw} is a good one"],
  [1, "I hadn't looked at {kw} that way before"],
  [1, "fair enough on {kw}"],
  [1, "I'm glad you brought up {kw}"],
  [1, "thanks for being straight with me about {kw}"],
  [1, "right, {kw}; that's exactly what I was getting at"],
  [0, "so you'd start with {kw}"],
  [0, "let me think about {kw} for a second"],
  [0, "okay, {kw}; noted"],
  [0, "so we're talking about {kw} now"],
  [-1, "I'm not sure I agree about {kw}"],
  [-1, "I see {kw} a bit differently"],
  [-1, "I worry about {kw} more than you seem to"],
  [-1, "hold on, there's more to {kw} than that"],
];

export const ANSWER_OPENERS = [
  "good question",
  "short answer: yes",
  "honestly, it depends",
  "not really, no",
  "yes, mostly",
  "partly, I'd say",
  "that's hard to answer in one line",
  "I was hoping you'd ask that",
  "let me answer that properly",
  "in a word: carefully",
] as const;

export const WIND_DOWN = [
  "we're running short on time, so let me sum up",
  "before we wrap up, I want to come back to {topic}",
  "let's agree on one next step for {topic}",
  "I think we've covered most of what matters",
  "if there's one thing to take away, it's {topic}",
  "we should start bringing this to a close",
  "we can pick up {topic2} another time",
  "for the record, I'm leaving with a clearer view of {topic}",
] as const;

export const CLOSINGS = [
  "thank you, {partner}; this was worth the time",
  "let's pick this up again soon",
  "I'll follow up on {topic} as promised",
  "it was good talking with you, {partner}",
  "that's all from me for now",
  "I think that's a good place to stop",
  "take care, {partner}, and thanks again",
  "I'll let you get on with your day",
] as const;
