import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type SeatbeltClient, type SeatbeltSession, createSeatbeltClient } from "../client/src/index.js";
import type { SeatbeltServer } from "../server/src/server.js";
import { describe, expect, test } from "./support/fixtures.js";
import { startTestServer } from "./support/fixtures.js";
import { type Probe, decideProbes, runProbes } from "./support/probes.js";

// Every probe is attempted in a real sandbox and compared with what the
// evaluator decides for the same profile. The server keeps its state under
// /opt, which the profiles let the sandbox read, so the hidden state
// directory is a denied path under an allowed parent and the workspace inside
// it an allowed path under a denied parent.

const IS_ROOT = process.getuid?.() === 0;
const MARKER = `seatbelt-probe-${randomBytes(6).toString("hex")}`;
const EXAMPLE_PROFILE = readFileSync(new URL("./support/example-profile.sb", import.meta.url), "utf8");

interface Planted {
  readonly stateDir: string;
  readonly publicDir: string;
  readonly homeDir: string;
  readonly rootFile: string;
}

let planted: Planted;
let server: SeatbeltServer;
let client: SeatbeltClient;

function plant(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o644 });
}

beforeAll(async () => {
  if (!IS_ROOT) {
    return;
  }
  const stateDir = mkdtempSync("/opt/seatbelt-probe-state-");
  chmodSync(stateDir, 0o755);
  mkdirSync(join(stateDir, "planted"), { mode: 0o755 });
  plant(join(stateDir, "planted", "secret.txt"), `state ${MARKER}`);
  const publicDir = mkdtempSync("/opt/seatbelt-probe-public-");
  chmodSync(publicDir, 0o755);
  plant(join(publicDir, "readable.txt"), `public ${MARKER}`);
  const homeDir = join("/home", MARKER);
  mkdirSync(homeDir, { recursive: true, mode: 0o755 });
  plant(join(homeDir, "secret.txt"), `home ${MARKER}`);
  const rootFile = join("/root", `${MARKER}.txt`);
  plant(rootFile, `root ${MARKER}`);
  planted = { stateDir, publicDir, homeDir, rootFile };

  server = await startTestServer({ stateDir });
  client = createSeatbeltClient({ baseUrl: server.url });
});

afterAll(async () => {
  if (!IS_ROOT) {
    return;
  }
  await server?.close();
  for (const path of [planted.stateDir, planted.publicDir, planted.homeDir, planted.rootFile]) {
    rmSync(path, { recursive: true, force: true });
  }
});

function buildProbes(workspaceDir: string): Probe[] {
  const workspaceFile = join(workspaceDir, "probe.txt");
  plant(workspaceFile, `workspace ${MARKER}`);
  return [
    { label: "read workspace file", operation: "read", path: workspaceFile, content: `workspace ${MARKER}` },
    { label: "write workspace file", operation: "write", path: join(workspaceDir, "new.txt") },
    { label: "write tmp", operation: "write", path: `/tmp/${MARKER}` },
    { label: "write var tmp", operation: "write", path: `/var/tmp/${MARKER}` },
    { label: "read /etc/passwd", operation: "read", path: "/etc/passwd", content: readFileSync("/etc/passwd", "utf8") },
    { label: "read os-release", operation: "read", path: "/usr/lib/os-release", content: readFileSync("/usr/lib/os-release", "utf8") },
    { label: "write etc", operation: "write", path: `/etc/${MARKER}` },
    { label: "write usr", operation: "write", path: `/usr/${MARKER}` },
    { label: "write dev null", operation: "write", path: "/dev/null" },
    { label: "read opt file", operation: "read", path: join(planted.publicDir, "readable.txt"), content: `public ${MARKER}` },
    { label: "write opt", operation: "write", path: join(planted.publicDir, "new.txt") },
    { label: "read state dir secret", operation: "read", path: join(planted.stateDir, "planted", "secret.txt"), content: `state ${MARKER}` },
    { label: "list state dir", operation: "read", path: planted.stateDir, entry: "planted" },
    { label: "read home file", operation: "read", path: join(planted.homeDir, "secret.txt"), content: `home ${MARKER}` },
    { label: "list home", operation: "read", path: "/home", entry: MARKER },
    { label: "read root file", operation: "read", path: planted.rootFile, content: `root ${MARKER}` },
  ];
}

/** Profiles under test, with decisions that each must reach in addition to matching the evaluator. */
const PROFILES: readonly { name: string; source: { case: "name" | "seatbeltProfile"; value: string }; expected: Record<string, string> }[] = [
  {
    name: "default",
    source: { case: "name", value: "default" },
    expected: { "write workspace file": "allow", "write tmp": "allow", "write var tmp": "deny", "read /etc/passwd": "allow", "read home file": "deny", "read state dir secret": "deny", "read opt file": "allow", "write etc": "deny" },
  },
  { name: "network", source: { case: "name", value: "network" }, expected: { "write workspace file": "allow", "read home file": "deny", "read root file": "deny" } },
  { name: "read-only", source: { case: "name", value: "read-only" }, expected: { "read workspace file": "allow", "write workspace file": "deny", "write tmp": "allow", "write opt": "deny" } },
  { name: "strict", source: { case: "name", value: "strict" }, expected: { "write workspace file": "allow", "read home file": "deny", "write usr": "deny" } },
  {
    name: "reference example",
    source: { case: "seatbeltProfile", value: EXAMPLE_PROFILE },
    expected: { "write workspace file": "allow", "write tmp": "allow", "write var tmp": "allow", "read home file": "deny", "read root file": "deny", "write etc": "deny", "read state dir secret": "deny" },
  },
];

async function withSession<T>(source: { case: "name" | "seatbeltProfile"; value: string }, run: (session: SeatbeltSession) => Promise<T>): Promise<T> {
  const session = await client.createSession({ profile: { source } });
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

describe("profile probes", () => {
  test.skipIf(!IS_ROOT).for(PROFILES)("$name outcomes match the evaluator", async ({ source, expected }) => {
    await withSession(source, async (session) => {
      const probes = buildProbes(session.info.workspaceDir);
      const linuxProfile = server.registry.get(session.id)!.options.prepared.linuxProfile;

      const outcomes = await runProbes(session, probes);

      expect(outcomes).toEqual(decideProbes(linuxProfile, probes));
      expect(outcomes).toMatchObject(expected);
    });
  });

  test.skipIf(!IS_ROOT)("denied and allowed paths nest", async () => {
    await withSession({ case: "name", value: "default" }, async (session) => {
      const outcomes = await runProbes(session, buildProbes(session.info.workspaceDir));

      // /opt is readable, the state directory in it is not, and the
      // workspace in that is writable again.
      expect(outcomes["read opt file"]).toBe("allow");
      expect(outcomes["list state dir"]).toBe("deny");
      expect(outcomes["write workspace file"]).toBe("allow");
    });
  });
});
