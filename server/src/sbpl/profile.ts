import type { SourcePosition } from "./reader.js";

/** Whether a rule grants or refuses an operation. */
export type SbplAction = "allow" | "deny";

/** A path filter of a rule, with parameters already substituted. */
export type SbplFilter =
  | { readonly kind: "subpath" | "literal" | "prefix"; readonly path: string }
  | { readonly kind: "regex"; readonly pattern: string }
  | { readonly kind: "require-all" | "require-any"; readonly filters: readonly SbplFilter[] }
  | { readonly kind: "require-not"; readonly filter: SbplFilter }
  /**
   * A filter on something other than a path: a signal's target, a Mach
   * service name, a network address. It never matches a path query.
   */
  | { readonly kind: "other"; readonly name: string; readonly text: string };

/** One `(allow ...)` or `(deny ...)` form of a profile. */
export interface SbplRule {
  readonly action: SbplAction;
  /** Operations as written, such as "file-read*"; "default" sets the starting decision. */
  readonly operations: readonly string[];
  /** Undefined when the rule has no filter and so matches every target. */
  readonly filter: SbplFilter | undefined;
  readonly position: SourcePosition;
  /** The rule as written in the profile, on one line; empty for rules the server adds. */
  readonly text: string;
}

/** A parsed profile: its rules in the order written. */
export interface SbplProfile {
  readonly rules: readonly SbplRule[];
}

/** A rule that a backend could not enforce exactly, and what it did instead. */
export interface ProfileNote {
  /** Line of the rule, from 1; 0 for the profile as a whole or for rules the server added. */
  readonly line: number;
  readonly column: number;
  /** The rule as written, empty when the note concerns the whole profile. */
  readonly rule: string;
  readonly message: string;
}
