import { isKnownOperation } from "./operations.js";
import type { SbplAction, SbplFilter, SbplProfile, SbplRule } from "./profile.js";
import { SbplError, type SbplNode, type SourcePosition, readSbpl } from "./reader.js";

/** Values of `(param "NAME")` in a profile, such as WORKSPACE. */
export type SbplParameters = Readonly<Record<string, string>>;

/** Filters on paths; their argument is a string expression naming an absolute path. */
const PATH_FILTERS = new Set(["subpath", "literal", "prefix"]);

/**
 * Filters on things other than paths. They are accepted so that real
 * profiles parse, and never match a path.
 */
const OTHER_FILTERS = new Set([
  "target",
  "global-name",
  "global-name-regex",
  "local-name",
  "iokit-user-client-class",
  "iokit-registry-entry-class",
  "local",
  "remote",
  "sysctl-name",
  "ipc-posix-name",
  "ipc-posix-name-regex",
  "vnode-type",
  "preference-domain",
  "signing-identifier",
]);

/**
 * Most path filters in one profile. Each can become a mount, and bubblewrap
 * applies mounts one by one. @default 1000
 */
export const MAX_PATH_FILTERS = 1000;

/** Maximum length of the rule text kept for notes. */
const MAX_RULE_TEXT_LENGTH = 200;

/**
 * Parses SBPL text into rules, substituting parameters.
 * @throws SbplError with the line and column of the first problem.
 */
export function parseSbpl(text: string, parameters: SbplParameters): SbplProfile {
  let pathFilters = 0;
  return parseForms(text, parameters, (position) => {
    pathFilters++;
    if (pathFilters > MAX_PATH_FILTERS) {
      throw new SbplError(`the profile has more than ${MAX_PATH_FILTERS} path filters`, position);
    }
  });
}

/** Called for each path filter, so that parseSbpl can cap their number. */
type CountPathFilter = (position: SourcePosition) => void;

function parseForms(text: string, parameters: SbplParameters, countPathFilter: CountPathFilter): SbplProfile {
  const rules: SbplRule[] = [];
  for (const node of readSbpl(text)) {
    if (node.kind !== "list" || node.items.length === 0) {
      throw new SbplError("expected a form such as (allow ...) at the top level", node.position);
    }
    const head = node.items[0]!;
    const name = head.kind === "symbol" ? head.name : "";
    switch (name) {
      case "version":
        readVersion(node);
        break;
      case "allow":
      case "deny":
        rules.push(readRule(name, node, text, parameters, countPathFilter));
        break;
      case "debug":
        // (debug deny) only makes macOS log denials, so it changes no decision.
        break;
      default:
        throw new SbplError(`unknown form ${JSON.stringify(name || describeNode(head))}; expected version, allow, deny or debug`, head.position);
    }
  }
  return { rules };
}

function readVersion(node: SbplNode & { kind: "list" }): void {
  const version = node.items[1];
  if (node.items.length !== 2 || version?.kind !== "number" || version.value !== 1) {
    throw new SbplError("unsupported version: only (version 1) exists", (version ?? node).position);
  }
}

function readRule(action: SbplAction, node: SbplNode & { kind: "list" }, text: string, parameters: SbplParameters, countPathFilter: CountPathFilter): SbplRule {
  const operations: string[] = [];
  const filters: SbplFilter[] = [];
  for (const item of node.items.slice(1)) {
    if (item.kind === "symbol" && filters.length === 0) {
      if (!isKnownOperation(item.name)) {
        throw new SbplError(`unknown operation ${JSON.stringify(item.name)}`, item.position);
      }
      operations.push(item.name);
    } else if (item.kind === "list" && operations.length > 0) {
      filters.push(readFilter(item, parameters, countPathFilter));
    } else {
      throw new SbplError(`expected ${operations.length === 0 ? "an operation" : "a filter"}, found ${describeNode(item)}`, item.position);
    }
  }
  if (operations.length === 0) {
    throw new SbplError(`(${action}) names no operation`, node.position);
  }
  if (operations.includes("default") && filters.length > 0) {
    throw new SbplError(`(${action} default) takes no filter`, node.position);
  }

  // Several filters in one rule match when any of them does.
  let filter: SbplFilter | undefined;
  if (filters.length === 1) {
    filter = filters[0];
  } else if (filters.length > 1) {
    filter = { kind: "require-any", filters };
  }
  const written = text.slice(node.start, node.end).replace(/\s+/g, " ");
  return {
    action,
    operations,
    filter,
    position: node.position,
    text: written.length > MAX_RULE_TEXT_LENGTH ? `${written.slice(0, MAX_RULE_TEXT_LENGTH - 1)}…` : written,
  };
}

function readFilter(node: SbplNode & { kind: "list" }, parameters: SbplParameters, countPathFilter: CountPathFilter): SbplFilter {
  const head = node.items[0];
  if (head?.kind !== "symbol") {
    throw new SbplError("expected a filter name such as subpath", (head ?? node).position);
  }
  const args = node.items.slice(1);
  if (PATH_FILTERS.has(head.name)) {
    countPathFilter(head.position);
    const path = readSingleString(head.name, node, parameters);
    if (!path.startsWith("/")) {
      throw new SbplError(`${head.name} needs an absolute path, got ${JSON.stringify(path)}`, args[0]!.position);
    }
    return { kind: head.name as "subpath" | "literal" | "prefix", path };
  }
  if (head.name === "regex") {
    const pattern = readSingleString("regex", node, parameters);
    try {
      new RegExp(pattern);
    } catch (error) {
      throw new SbplError(`invalid regex ${JSON.stringify(pattern)}: ${(error as Error).message}`, args[0]!.position);
    }
    return { kind: "regex", pattern };
  }
  if (head.name === "require-all" || head.name === "require-any") {
    return { kind: head.name, filters: args.map((arg) => readNestedFilter(arg, parameters, countPathFilter)) };
  }
  if (head.name === "require-not") {
    if (args.length !== 1) {
      throw new SbplError(`require-not takes one filter, got ${args.length}`, node.position);
    }
    return { kind: "require-not", filter: readNestedFilter(args[0]!, parameters, countPathFilter) };
  }
  if (OTHER_FILTERS.has(head.name)) {
    return { kind: "other", name: head.name, text: args.map(describeNode).join(" ") };
  }
  throw new SbplError(`unknown filter ${JSON.stringify(head.name)}`, head.position);
}

function readNestedFilter(node: SbplNode, parameters: SbplParameters, countPathFilter: CountPathFilter): SbplFilter {
  if (node.kind !== "list") {
    throw new SbplError(`expected a filter, found ${describeNode(node)}`, node.position);
  }
  return readFilter(node, parameters, countPathFilter);
}

function readSingleString(filterName: string, node: SbplNode & { kind: "list" }, parameters: SbplParameters): string {
  if (node.items.length !== 2) {
    throw new SbplError(`${filterName} takes one string, got ${node.items.length - 1} arguments`, node.position);
  }
  return evaluateString(node.items[1]!, parameters);
}

/** Evaluates a string expression: a literal, (param "NAME") or (string-append ...). */
function evaluateString(node: SbplNode, parameters: SbplParameters): string {
  if (node.kind === "string") {
    return node.value;
  }
  if (node.kind === "list" && node.items[0]?.kind === "symbol") {
    const name = node.items[0].name;
    const args = node.items.slice(1);
    if (name === "param") {
      const key = args.length === 1 && args[0]!.kind === "string" ? args[0]!.value : undefined;
      if (key === undefined) {
        throw new SbplError('param takes one string, such as (param "WORKSPACE")', node.position);
      }
      if (!Object.hasOwn(parameters, key)) {
        throw new SbplError(`parameter ${JSON.stringify(key)} is not defined; defined: ${Object.keys(parameters).join(", ")}`, node.position);
      }
      return parameters[key]!;
    }
    if (name === "string-append") {
      return args.map((arg) => evaluateString(arg, parameters)).join("");
    }
  }
  throw new SbplError(`expected a string, (param "NAME") or (string-append ...), found ${describeNode(node)}`, node.position);
}

function describeNode(node: SbplNode): string {
  switch (node.kind) {
    case "list":
      return "a list";
    case "symbol":
      return node.name;
    case "string":
      return JSON.stringify(node.value);
    default:
      return String(node.value);
  }
}
