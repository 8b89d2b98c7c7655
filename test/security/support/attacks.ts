import { randomBytes } from "node:crypto";
import type { SeatbeltClient, SeatbeltSession } from "../../../client/src/index.js";
import type { SeatbeltServer } from "../../../server/src/server.js";
import { describe, test } from "../../support/fixtures.js";

/** One row of the escape table, as the reporter prints it. */
export interface AttackRow {
  readonly attack: string;
  readonly expected: string;
  /** What actually happened, in words: errno names, "connection refused", a latency. */
  readonly observed: string;
}

declare module "vitest" {
  interface TaskMeta {
    /** Set by the escape suite's tests, read by the escape table reporter. */
    attack?: AttackRow;
  }
}

/** The real server, client and fresh session that each attack gets. */
export interface AttackContext {
  readonly server: SeatbeltServer;
  readonly client: SeatbeltClient;
  readonly session: SeatbeltSession;
}

/**
 * One escape attempt: evidence planted on the host, code run from inside the
 * session's sandbox, and a check of the evidence that must show the attack
 * failed. The observed text is recorded before the check runs, so a row
 * that escapes still shows what happened.
 */
export interface Attack<Evidence> {
  readonly name: string;
  readonly expected: string;
  /** Why the attack cannot run on this machine; the row is skipped visibly. */
  readonly skipReason?: string | undefined;
  /** Plants the evidence on the host before the attack. */
  readonly plant?: (context: AttackContext) => Promise<Evidence>;
  /** Runs the attack from inside the sandbox and returns what it observed. */
  readonly run: (context: AttackContext, evidence: Evidence) => Promise<string>;
  /** Checks the evidence with expect; it fails when the attack got through. */
  readonly verify: (context: AttackContext, evidence: Evidence, observed: string) => Promise<void> | void;
  /** Removes what plant created, whether the check passed or not. */
  readonly remove?: (evidence: Evidence) => Promise<void>;
}

/** Types one attack; the list that defineAttacks takes mixes evidence types. */
export function attack<Evidence>(definition: Attack<Evidence>): Attack<unknown> {
  return definition as Attack<unknown>;
}

/** Declares one test per attack, each recording its row of the escape table. */
export function defineAttacks(theme: string, attacks: readonly Attack<unknown>[]): void {
  describe(theme, () => {
    for (const definition of attacks) {
      test.skipIf(definition.skipReason !== undefined)(definition.name, async ({ server, client, session, task }) => {
        const context = { server, client, session };
        const evidence = definition.plant === undefined ? undefined : await definition.plant(context);
        try {
          const observed = await definition.run(context, evidence);
          task.meta.attack = { attack: definition.name, expected: definition.expected, observed };
          await definition.verify(context, evidence, observed);
        } finally {
          await definition.remove?.(evidence);
        }
      });
    }
  });
}

/** True where the server loads its seccomp filter into sandboxes, which denies some calls with EPERM before the kernel's own checks. */
export const HAS_SECCOMP_FILTER = process.arch === "x64" || process.arch === "arm64";

/** Returns a random marker that names planted files, keys and processes. */
export function createMarker(prefix = "seatbelt-escape"): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

/** Quotes a value for /bin/sh. */
export function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * Python prelude for attack scripts. attempt() runs an action and returns
 * "succeeded" (or the action's own result) or the errno name of the OSError
 * it raised, so the table shows the kernel's answer. syscall() and
 * call_libc() raise that OSError for a failed system call.
 */
const PYTHON_PRELUDE = `
import ctypes, errno, json, os
_libc = ctypes.CDLL(None, use_errno=True)

def attempt(action):
    try:
        result = action()
        return "succeeded" if result is None else result
    except OSError as error:
        return errno.errorcode.get(error.errno, str(error))

def syscall(number, *args):
    return call_libc("syscall", number, *args)

def call_libc(name, *args):
    result = getattr(_libc, name)(*args)
    if result < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return f"succeeded ({result})"
`;

/**
 * Runs a Python attack script that ends by assigning a JSON-serialisable
 * dict to RESULTS, and returns that dict.
 */
export async function runAttackScript(session: SeatbeltSession, script: string): Promise<Record<string, string>> {
  const outcome = await session.runPython(`${PYTHON_PRELUDE}\n${script}\nprint(json.dumps(RESULTS))`);
  if (outcome.stdout === "") {
    throw new Error(`attack script failed: ${outcome.error?.traceback ?? outcome.stderr}`);
  }
  return JSON.parse(outcome.stdout) as Record<string, string>;
}

/** Joins results as "label: outcome" pairs, for the observed column. */
export function describeResults(results: Record<string, string>): string {
  return Object.entries(results)
    .map(([label, outcome]) => `${label}: ${outcome}`)
    .join(", ");
}
