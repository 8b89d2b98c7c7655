import { posix } from "node:path";
import { explainDecision } from "../../sbpl/decide.js";
import { SBPL_OPERATIONS, operationCovers } from "../../sbpl/operations.js";
import type { ProfileNote, SbplFilter, SbplProfile, SbplRule } from "../../sbpl/profile.js";
import { mapMacosPath, normalizePath } from "./linux-paths.js";

/** A profile rewritten for Linux, whose decisions bubblewrap can carry out, and notes on what changed. */
export interface LinuxProfile {
  readonly profile: SbplProfile;
  readonly notes: readonly ProfileNote[];
}

/** A filter that matches nothing. */
const NEVER: SbplFilter = { kind: "require-any", filters: [] };
/** A filter that matches everything. */
const ALWAYS: SbplFilter = { kind: "require-all", filters: [] };

/** Operations that have no Linux counterpart, with what that means for a rule about them. */
const MACOS_ONLY_OPERATIONS: readonly { readonly prefix: string; readonly what: string }[] = [
  { prefix: "mach", what: "Mach services do not exist on Linux" },
  { prefix: "iokit", what: "IOKit does not exist on Linux" },
  { prefix: "user-preference", what: "macOS preferences do not exist on Linux" },
  { prefix: "lsopen", what: "Launch Services do not exist on Linux" },
  { prefix: "process-info", what: "Linux has no separate process-info check; /proc shows the sandbox's own processes only" },
  { prefix: "system", what: "Linux has no counterpart of this system operation" },
  { prefix: "file-ioctl", what: "Linux mounts cannot filter ioctl requests" },
];

/**
 * Operations that bubblewrap cannot restrict. A profile that denies them, or
 * allows them only for some targets, gets a note, because code in the
 * sandbox can do them anyway.
 */
const UNENFORCED_OPERATIONS: readonly { readonly operation: string; readonly why: string }[] = [
  { operation: "process-exec", why: "without a seccomp filter, Linux cannot stop code from running programs that the profile makes readable" },
  { operation: "process-fork", why: "without a seccomp filter, Linux cannot stop code from starting processes" },
  { operation: "signal", why: "Linux does not filter signals by target; the sandbox's own PID namespace keeps signals from reaching processes outside it" },
  { operation: "ipc-posix-shm", why: "POSIX shared memory stays inside the sandbox's private IPC namespace and /dev, but is not denied" },
];

/** File operations that are one part of what a mount grants as a whole. */
const PARTIAL_FILE_OPERATIONS: ReadonlySet<string> = new Set(SBPL_OPERATIONS.filter((operation) => /^file-(read|write)-/.test(operation)));

/** Network operations that one shared network namespace grants together. */
const NETWORK_OPERATIONS = ["network-outbound", "network-inbound", "network-bind"] as const;

class NoteCollector {
  readonly notes: ProfileNote[] = [];
  private readonly seen = new Set<string>();

  add(rule: SbplRule | undefined, message: string): void {
    const line = rule?.position.line ?? 0;
    const key = `${line}:${rule?.position.column ?? 0}:${message}`;
    if (this.seen.has(key)) {
      return;
    }
    this.seen.add(key);
    this.notes.push({ line, column: rule?.position.column ?? 0, rule: rule?.text ?? "", message });
  }
}

/**
 * Rewrites a profile so that bubblewrap can enforce every decision it makes.
 * macOS paths are mapped or dropped. Filters that mounts cannot express
 * (regex, prefix, filters on non-path targets) are replaced by ones that
 * match less in an allow rule and more in a deny rule, so the result is
 * never more permissive. Every change is noted with the rule's line.
 */
export function adaptProfileForLinux(profile: SbplProfile): LinuxProfile {
  const collector = new NoteCollector();
  const rules = profile.rules.map((rule) => adaptRule(rule, collector));
  const adapted = { rules };
  noteUnenforcedOperations(adapted, collector);
  noteNetwork(adapted, collector);
  return { profile: adapted, notes: collector.notes };
}

/** Returns true when the Linux profile lets the sandbox share the host's network. */
export function allowsNetwork(profile: SbplProfile): boolean {
  return NETWORK_OPERATIONS.every((operation) => explainDecision(profile, operation).action === "allow");
}

function adaptRule(rule: SbplRule, collector: NoteCollector): SbplRule {
  for (const operation of rule.operations) {
    const macosOnly = MACOS_ONLY_OPERATIONS.find((entry) => operation.startsWith(entry.prefix));
    if (macosOnly !== undefined) {
      collector.add(rule, `${operation}: ${macosOnly.what}, so this rule has no effect here`);
    }
  }
  const partial = rule.operations.filter((operation) => PARTIAL_FILE_OPERATIONS.has(operation));
  if (partial.length > 0) {
    collector.add(rule, `${partial.join(", ")}: Linux mounts grant reading (data and metadata) and writing each as a whole, so where this differs from the rest of its family the path gets the smaller access`);
  }
  // Filters of operations that Linux cannot restrict at all stay as they
  // are; noteUnenforcedOperations explains them.
  const unenforced = rule.operations.every((operation) => UNENFORCED_OPERATIONS.some((entry) => operationCovers(operation, entry.operation)));
  if (rule.filter === undefined || unenforced) {
    return rule;
  }
  const widen = rule.action === "deny";
  return { ...rule, filter: adaptFilter(rule.filter, widen, (message) => collector.add(rule, message)) };
}

/**
 * Rewrites one filter. When a filter cannot be kept, `widen` selects the
 * safe direction: a deny rule may match more, and an allow rule less.
 * require-not flips the direction.
 */
function adaptFilter(filter: SbplFilter, widen: boolean, note: (message: string) => void): SbplFilter {
  switch (filter.kind) {
    case "subpath":
    case "literal":
      return mapPathFilter(filter.kind, filter.path, note);
    case "prefix":
      return adaptPrefix(filter.path, widen, note);
    case "regex": {
      if (!widen) {
        note(`regex ${JSON.stringify(filter.pattern)}: mounts cannot follow a pattern, so this allow matches nothing here`);
        return NEVER;
      }
      const directory = getRegexDirectory(filter.pattern);
      note(`regex ${JSON.stringify(filter.pattern)}: mounts cannot follow a pattern, so the deny covers all of ${directory}`);
      return mapPathFilter("subpath", directory, note);
    }
    case "require-all":
    case "require-any":
      return { kind: filter.kind, filters: filter.filters.map((inner) => adaptFilter(inner, widen, note)) };
    case "require-not":
      return { kind: "require-not", filter: adaptFilter(filter.filter, !widen, note) };
    case "other":
      note(`${filter.name} filter: Linux cannot tell targets apart, so the rule ${widen ? "applies to every target" : "matches nothing"} here`);
      return widen ? ALWAYS : NEVER;
  }
}

function mapPathFilter(kind: "subpath" | "literal", path: string, note: (message: string) => void): SbplFilter {
  const mapped = mapMacosPath(path);
  if (mapped.kind === "dropped") {
    note(mapped.reason);
    return NEVER;
  }
  if (mapped.kind === "mapped") {
    note(mapped.reason);
  }
  const filters = mapped.paths.map((linuxPath) => ({ kind, path: linuxPath }));
  return filters.length === 1 ? filters[0]! : { kind: "require-any", filters };
}

/**
 * Replaces a prefix filter by a subpath. A prefix also matches siblings whose
 * names start the same way, which no mount can express, so an allow keeps
 * only the subtree it names and a deny covers the whole parent directory.
 */
function adaptPrefix(path: string, widen: boolean, note: (message: string) => void): SbplFilter {
  if (path.endsWith("/")) {
    return mapPathFilter("subpath", path, note);
  }
  const normalized = normalizePath(path);
  const replacement = widen ? posix.dirname(normalized) : normalized;
  note(`prefix ${JSON.stringify(path)}: mounts cover whole directories, so it is taken as subpath ${JSON.stringify(replacement)}`);
  return mapPathFilter("subpath", replacement, note);
}

/** Returns the directory named by the literal start of an anchored regex, or "/" when it has none. */
export function getRegexDirectory(pattern: string): string {
  if (!pattern.startsWith("^/")) {
    return "/";
  }
  const literal = /^\^((?:\/[\w.-]+)*)/.exec(pattern)?.[1] ?? "";
  const rest = pattern.slice(1 + literal.length);
  // The last literal part may continue, as in ^/a/b.* or an unanchored
  // ^/a/b that also matches /a/bc; only parts that end at a slash or at $
  // name whole directories.
  const directory = rest.startsWith("/") || rest === "$" ? literal : posix.dirname(literal || "/");
  return normalizePath(directory || "/");
}

function noteUnenforcedOperations(profile: SbplProfile, collector: NoteCollector): void {
  for (const { operation, why } of UNENFORCED_OPERATIONS) {
    const decision = explainDecision(profile, operation);
    const filtered = profile.rules.filter((rule) => rule.filter !== undefined && rule.operations.some((name) => operationCovers(name, operation)));
    if (decision.action === "deny") {
      collector.add(decision.rule, `${operation} is denied, but not enforced on Linux: ${why}`);
    }
    for (const rule of filtered) {
      collector.add(rule, `${operation} for some targets only cannot be enforced on Linux: ${why}`);
    }
  }
}

function noteNetwork(profile: SbplProfile, collector: NoteCollector): void {
  if (explainDecision(profile, "network-outbound").action !== "allow") {
    return;
  }
  for (const operation of NETWORK_OPERATIONS) {
    const decision = explainDecision(profile, operation);
    if (decision.action === "deny") {
      collector.add(decision.rule, `${operation} is denied while network-outbound is allowed; Linux shares the host network for all or none of them, so the sandbox gets no network`);
    }
  }
}
