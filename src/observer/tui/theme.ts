/**
 * Colours: one per agent (up to 8, each its own), a few tones for the rest, and none at all when
 * NO_COLOR is set (https://no-color.org: present and not empty). Components ask `useTheme()`
 * instead of naming colours themselves, so NO_COLOR is honoured everywhere at once.
 *
 * The agents' colours, on a terminal with 256 colours or more, are mid-light colours of the xterm
 * palette chosen to read on a dark and on a light background alike: each has a contrast ratio of
 * at least 3.3:1 against black and against white (WCAG's relative luminance between 0.14 and
 * 0.27), and the first two, the usual pair, are blue and orange (told apart with every kind of
 * colour blindness). On a 16-colour terminal they are the terminal's own named colours, which its
 * theme already makes readable on its background.
 */
import { createContext, useContext } from "react";

export interface Theme {
  color: boolean;
  /** the terminal shows 256 colours or more (chalk's level ≥ 2): the agents get the xterm palette */
  deep?: boolean;
}

export const ThemeContext = createContext<Theme>({ color: true });

export const useTheme = (): Theme => useContext(ThemeContext);

export const colorAllowed = (env: NodeJS.ProcessEnv): boolean => !(env.NO_COLOR !== undefined && env.NO_COLOR !== "");

/** xterm-256 colours: blue, orange, green, magenta, teal, gold, purple, brick red */
const DEEP_COLORS = [32, 166, 28, 163, 30, 136, 98, 131].map((n) => `ansi256(${n})`);
/** named colours, for 16-colour terminals (their theme sets them) */
const NAMED_COLORS = ["cyan", "magenta", "yellow", "green", "blue", "red", "blueBright", "redBright"];

/** how many agents have a colour of their own (a conversation has at most as many) */
export const AGENT_COLOURS = DEEP_COLORS.length;

/** the colour of the agent at `index`, or undefined without colour */
export function agentColor(t: Theme, index: number): string | undefined {
  if (!t.color) return undefined;
  const palette = t.deep ? DEEP_COLORS : NAMED_COLORS;
  return palette[((index % palette.length) + palette.length) % palette.length];
}

/** a named colour, or undefined without colour */
export const tone = (t: Theme, color: string): string | undefined => (t.color ? color : undefined);
