import { existsSync, readdirSync } from "node:fs";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "../support/fixtures.js";
import { attack, createMarker, defineAttacks, describeResults, quote, runAttackScript } from "./support/attacks.js";
import { type PlantedSecret, describeReads, explainPlantSkip, getInstanceDir, plantSecret, readInSandbox, summarize } from "./support/host-evidence.js";

/** Paths through which a sandbox might reach a host path: directly and through /proc's root links. */
function routesTo(path: string): string[] {
  return [path, `/proc/1/root${path}`, `/proc/self/root${path}`, join(path, "..")];
}

/** Attacks that read a secret planted below a host directory that the default profile does not reveal. */
const secretReads = ["/root", "/srv", "/var/lib", tmpdir()].map((parent) =>
  attack<PlantedSecret>({
    name: `read a secret planted under ${parent}`,
    expected: "ENOENT or EACCES, secret not read",
    skipReason: parent === tmpdir() ? undefined : explainPlantSkip(parent),
    plant: () => plantSecret(parent),
    run: async ({ session }, secret) => describeReads(await readInSandbox(session, routesTo(secret.path)), secret.value),
    verify: (_, secret, observed) => {
      expect(observed).not.toContain("SECRET READ");
      expect(observed).not.toContain("read");
    },
    remove: (secret) => rm(secret.dir, { recursive: true, force: true }),
  }),
);

/** Host paths, by the path the sandbox writes to, that must not be created. */
function getWriteTargets(workspaceDir: string, runtimeDir: string, marker: string): Record<string, string> {
  const instanceDir = getInstanceDir(workspaceDir);
  return {
    [`/etc/${marker}`]: `/etc/${marker}`,
    [`/usr/${marker}`]: `/usr/${marker}`,
    [`/usr/lib/${marker}`]: `/usr/lib/${marker}`,
    [`/run/seatbelt/${marker}`]: join(runtimeDir, marker),
    [`/run/seatbelt/seatbelt_runtime/${marker}`]: join(runtimeDir, "seatbelt_runtime", marker),
    [join(runtimeDir, marker)]: join(runtimeDir, marker),
    [join(instanceDir, marker)]: join(instanceDir, marker),
    [join(workspaceDir, "..", marker)]: join(workspaceDir, "..", marker),
    [`/tmp/${marker}`]: join(tmpdir(), marker),
    [`/proc/1/root/etc/${marker}`]: `/etc/${marker}`,
  };
}

const fileAttacks = [
  ...secretReads,
  attack<{ secret: string; path: string }>({
    name: "read a secret in the server's state dir",
    expected: "ENOENT, secret not read",
    plant: async ({ session }) => {
      const path = join(getInstanceDir(session.info.workspaceDir), `${createMarker()}.txt`);
      const secret = `secret-${createMarker()}`;
      await writeFile(path, `${secret}\n`, { mode: 0o644 });
      return { secret, path };
    },
    run: async ({ session }, planted) => describeReads(await readInSandbox(session, routesTo(planted.path)), planted.secret),
    verify: (_, __, observed) => {
      expect(observed).not.toContain("SECRET READ");
      expect(observed).not.toContain("read");
    },
    remove: (planted) => rm(planted.path, { force: true }),
  }),
  attack<{ marker: string; supervisor: Buffer; mode: number }>({
    name: "write to /etc, /usr, the runtime dir, the state dir and host /tmp",
    expected: "EROFS, EACCES or ENOENT, no host file created",
    plant: async ({ session }) => {
      const path = join(getInstanceDir(session.info.workspaceDir), "runtime", "supervisor.py");
      return { marker: createMarker(), supervisor: await readFile(path), mode: (await stat(path)).mode };
    },
    run: async ({ session }, { marker }) => {
      const runtimeDir = join(getInstanceDir(session.info.workspaceDir), "runtime");
      const targets = Object.keys(getWriteTargets(session.info.workspaceDir, runtimeDir, marker));
      const results = await runAttackScript(
        session,
        `
def append_to_supervisor():
    with open("/run/seatbelt/supervisor.py", "a") as handle:
        handle.write("raise SystemExit(1)\\n")
RESULTS = {path: attempt(lambda: open(path, "x").close()) for path in ${JSON.stringify(targets)}}
RESULTS["supervisor.py"] = attempt(append_to_supervisor)
RESULTS["chmod supervisor.py"] = attempt(lambda: os.chmod("/run/seatbelt/supervisor.py", 0o777))
`,
      );
      // Only the sandbox's own /tmp accepts the write, because it is a private tmpfs.
      return `${summarize(Object.entries(results).map(([path, outcome]) => (path.startsWith("/tmp/") ? `${outcome} (private /tmp)` : outcome)))}`;
    },
    verify: async ({ session }, { marker, supervisor, mode }) => {
      const runtimeDir = join(getInstanceDir(session.info.workspaceDir), "runtime");
      for (const hostPath of Object.values(getWriteTargets(session.info.workspaceDir, runtimeDir, marker))) {
        expect(existsSync(hostPath), hostPath).toBe(false);
      }
      expect(await readFile(join(runtimeDir, "supervisor.py"))).toEqual(supervisor);
      expect((await stat(join(runtimeDir, "supervisor.py"))).mode).toBe(mode);
    },
  }),
  attack<PlantedSecret>({
    name: "symlink in the workspace to a host secret",
    expected: "ENOENT through the link, host file intact after deletion",
    skipReason: explainPlantSkip("/root"),
    plant: () => plantSecret("/root"),
    run: async ({ session }, secret) => {
      await session.runShell(`ln -s ${quote(secret.path)} link-to-file && ln -s ${quote(secret.dir)} link-to-dir`);
      const results = await readInSandbox(session, ["link-to-file", "link-to-dir/secret.txt", "link-to-dir"]);
      await session.close();
      return describeReads(results, secret.value);
    },
    verify: async ({ session }, secret, observed) => {
      expect(observed).not.toContain("SECRET READ");
      expect(existsSync(session.info.workspaceDir)).toBe(false);
      expect(await readFile(secret.path, "utf8")).toBe(`${secret.value}\n`);
    },
    remove: (secret) => rm(secret.dir, { recursive: true, force: true }),
  }),
  attack<PlantedSecret>({
    name: "masked workspace paths swapped for links before a restart",
    expected: "secret not read, host dir not written",
    skipReason: explainPlantSkip("/root"),
    plant: () => plantSecret("/root"),
    run: async ({ client }, secret) => {
      // The profile masks secret/ and makes ro/ read-only, and both are planned
      // from what the workspace holds when the sandbox restarts.
      const profile = [
        await readFile(join(import.meta.dirname, "../../profiles/default.sb"), "utf8"),
        '(deny file-read* (subpath (string-append (param "WORKSPACE") "/secret")))',
        '(deny file-write* (subpath (string-append (param "WORKSPACE") "/ro")))',
      ].join("\n");
      const session = await client.createSession({ profile: { source: { case: "seatbeltProfile", value: profile } } });
      try {
        await session.runShell(`ln -s ${quote(secret.dir)} secret && ln -s ${quote(secret.dir)} ro`);
        await session.restart();
        const reads = await readInSandbox(session, ["secret/secret.txt", "ro/secret.txt", "ro", secret.path]);
        const write = await runAttackScript(session, `RESULTS = {"ro/planted": attempt(lambda: open("ro/planted", "x").close())}`);
        return `${describeReads(reads, secret.value)}; write through ro: ${write["ro/planted"]}`;
      } finally {
        await session.close();
      }
    },
    verify: (_, secret, observed) => {
      expect(observed).not.toContain("SECRET READ");
      expect(readdirSync(secret.dir)).toEqual(["secret.txt"]);
    },
    remove: (secret) => rm(secret.dir, { recursive: true, force: true }),
  }),
  attack<{ links: number }>({
    name: "hard link to /etc/hostname and the runtime",
    expected: "EXDEV, no link in the workspace",
    plant: async () => ({ links: (await stat("/etc/hostname")).nlink }),
    run: async ({ session }) => {
      const results = await runAttackScript(
        session,
        `RESULTS = {
    "/etc/hostname": attempt(lambda: os.link("/etc/hostname", "etc-link")),
    "/run/seatbelt/supervisor.py": attempt(lambda: os.link("/run/seatbelt/supervisor.py", "runtime-link")),
}`,
      );
      return describeResults(results);
    },
    verify: async ({ session }, { links }) => {
      expect(readdirSync(session.info.workspaceDir)).toEqual([]);
      expect((await stat("/etc/hostname")).nlink).toBe(links);
    },
  }),
  attack<{ path: string }>({
    name: "write a profile into the server's profile dir",
    expected: "ENOENT, no profile file on the host",
    plant: async ({ server }) => ({ path: join(server.config.profileDirs[0]!, `${createMarker()}.sb`) }),
    run: async ({ session }, { path }) => {
      const results = await runAttackScript(
        session,
        `
def write_profile(path):
    with open(path, "x") as handle:
        handle.write("(version 1)\\n(allow default)\\n")
RESULTS = {"direct": attempt(lambda: write_profile(${JSON.stringify(path)})), "via /proc/1/root": attempt(lambda: write_profile(${JSON.stringify(`/proc/1/root${path}`)}))}
`,
      );
      return describeResults(results);
    },
    verify: (_, { path }) => {
      expect(existsSync(path)).toBe(false);
    },
    remove: ({ path }) => rm(path, { force: true }),
  }),
];

defineAttacks("escape attempts on files", fileAttacks);
