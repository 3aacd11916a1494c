/** Types for deps.mjs (plain JavaScript: it runs before anything is installed). */
export interface DepsAction {
  action: "ci" | "install" | null;
  why: string;
}
export function depsAction(root: string): DepsAction;
