import { operationCovers } from "./operations.js";
import type { SbplAction, SbplFilter, SbplProfile, SbplRule } from "./profile.js";

/** The outcome of a decision and the rule that made it; no rule when nothing matched and no default was set. */
export interface SbplDecision {
  readonly action: SbplAction;
  readonly rule: SbplRule | undefined;
}

/**
 * Decides an operation on a path the way sandbox-exec does: the last
 * `(allow default)` or `(deny default)` sets the starting decision (deny
 * when the profile has none), and then the last rule whose operation and
 * filter match wins. The path is taken as given, so callers pass the
 * resolved path, as macOS checks paths after following symbolic links.
 * Without a path, no path filter matches.
 */
export function explainDecision(profile: SbplProfile, operation: string, path?: string): SbplDecision {
  let decision: SbplDecision = { action: "deny", rule: undefined };
  for (const rule of profile.rules) {
    if (rule.operations.includes("default")) {
      decision = { action: rule.action, rule };
    }
  }
  for (const rule of profile.rules) {
    if (rule.operations.includes("default")) {
      continue;
    }
    if (!rule.operations.some((ruleOperation) => operationCovers(ruleOperation, operation))) {
      continue;
    }
    if (rule.filter === undefined || matchesFilter(rule.filter, path)) {
      decision = { action: rule.action, rule };
    }
  }
  return decision;
}

/** Returns "allow" or "deny" for an operation on a path; see explainDecision. */
export function decide(profile: SbplProfile, operation: string, path?: string): SbplAction {
  return explainDecision(profile, operation, path).action;
}

/** Returns true when the path is the directory itself or lies below it. */
export function isSubpath(path: string, directory: string): boolean {
  if (directory === "/") {
    return path.startsWith("/");
  }
  const trimmed = directory.endsWith("/") ? directory.slice(0, -1) : directory;
  return path === trimmed || path.startsWith(`${trimmed}/`);
}

/** Returns true when a filter matches a path; with no path, only filters built of require-all, require-any and require-not can. */
export function matchesFilter(filter: SbplFilter, path: string | undefined): boolean {
  if (path === undefined && (filter.kind === "subpath" || filter.kind === "literal" || filter.kind === "prefix" || filter.kind === "regex")) {
    return false;
  }
  switch (filter.kind) {
    case "subpath":
      return isSubpath(path!, filter.path);
    case "literal":
      return path === filter.path;
    case "prefix":
      return path!.startsWith(filter.path);
    case "regex":
      return new RegExp(filter.pattern).test(path!);
    case "require-all":
      return filter.filters.every((inner) => matchesFilter(inner, path));
    case "require-any":
      return filter.filters.some((inner) => matchesFilter(inner, path));
    case "require-not":
      return !matchesFilter(filter.filter, path);
    case "other":
      return false;
  }
}
