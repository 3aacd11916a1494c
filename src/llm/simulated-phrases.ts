/**
 * Phrase banks for the simulated provider's stories and personas (simulated-text.ts): names,
 * the time and mood of a scene, traits, goals and speaking styles. What speakers say in a turn is
 * in simulated-lines.ts. {other} in a goal is the other persona's role ("the local resident").
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

/** the same, for three or more (AMBIENCE speaks of two), one for one so the draws stay aligned */
export const GROUP_AMBIENCE = [
  "Conversations hum in the background.",
  "A clock ticks somewhere nearby.",
  "None of them is in a hurry, but all have somewhere else to be.",
  "The room is quieter than expected.",
  "Someone laughs at a table across the room.",
  "A phone buzzes and is ignored.",
] as const;

/** where people meet to talk about a topic when the scenario names no setting: neutral places */
export const PLACES = [
  "A quiet meeting room with a long table.",
  "A corner table in a quiet cafe, away from the counter.",
  "A community hall with chairs set out in a circle.",
  "A reading room at the public library, with the door closed.",
  "A back room of a neighbourhood pub, quiet at this hour.",
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

/** the hooks for three or more (HOOKS speak of two) */
export const GROUP_HOOKS = [
  "None of them knows quite what to expect from the others.",
  "The first few minutes will set the tone.",
  "Something unspoken hangs over the room.",
  "Each of them suspects the meeting will matter more than it seems.",
  "There is no script for what comes next.",
] as const;

export const TRAITS = [
  "curious", "patient", "direct", "skeptical", "warm", "methodical", "impatient", "optimistic",
  "guarded", "witty", "pragmatic", "detail-oriented", "empathetic", "stubborn", "thoughtful", "ambitious",
] as const;

export const EXTRA_GOALS = [
  "understand what the other side really wants",
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
