/**
 * Colours: one per agent, a few tones for the rest, and none at all when NO_COLOR is set
 * (https://no-color.org: present and not empty). Components ask `useTheme()` instead of naming
 * colours themselves, so NO_COLOR is honoured everywhere at once.
 */
import { createContext, useContext } from "react";

export interface Theme {
  color: boolean;
}

export const ThemeContext = createContext<Theme>({ color: true });

export const useTheme = (): Theme => useContext(ThemeContext);

export const colorAllowed = (env: NodeJS.ProcessEnv): boolean => !(env.NO_COLOR !== undefined && env.NO_COLOR !== "");

const AGENT_COLORS = ["cyan", "magenta", "yellow", "green"] as const;

/** the colour of the agent at `index`, or undefined without colour */
export const agentColor = (t: Theme, index: number): string | undefined =>
  t.color ? AGENT_COLORS[index % AGENT_COLORS.length] : undefined;

/** a named colour, or undefined without colour */
export const tone = (t: Theme, color: string): string | undefined => (t.color ? color : undefined);
