import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll } from "vitest";
import { type ExecutionOutcome, ExecutionStatus, type SeatbeltSession } from "../../client/src/index.js";
import { expect } from "../support/fixtures.js";
import { findProcesses, waitUntil } from "../support/processes.js";
import { HAS_SECCOMP_FILTER, attack, createMarker, defineAttacks, describeResults, runAttackScript } from "./support/attacks.js";
import { type PlantedSecret, describeReads, explainPlantSkip, plantSecret, readInSandbox } from "./support/host-evidence.js";

// Set before the file's server starts with the first test, so a server that
// handed its environment to sandboxes, or let them read it, would leak it.
const CANARY_NAME = "SEATBELT_ESCAPE_CANARY";
const CANARY_VALUE = `canary-${randomBytes(16).toString("hex")}`;
process.env[CANARY_NAME] = CANARY_VALUE;

afterAll(() => {
  delete process.env[CANARY_NAME];
});

/** System call numbers on x86_64, from the kernel's syscall_64.tbl. */
const SYSCALL = { addKey: 248, keyctl: 250 };
/** Special keyring id of the user keyring, @u, from linux/keyctl.h. */
const KEY_SPEC_USER_KEYRING = -4;

/** Python that defines ptrace_attach(pid): attach, wait for the stop and detach, so the target runs on. */
const PTRACE_ATTACH = `
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
def ptrace_attach(pid):
    if _libc.ptrace(16, pid, None, None) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    os.waitpid(pid, 0x40000000)
    _libc.ptrace(17, pid, None, None)
    return "attached"
`;

/** A second session whose shell runs `sleep` under a known command line while the attack runs. */
interface Victim {
  readonly session: SeatbeltSession;
  readonly argv: readonly string[];
  readonly pid: number;
  readonly outcome: Promise<ExecutionOutcome>;
}

async function startVictim(context: { client: { createSession(): Promise<SeatbeltSession> } }): Promise<Victim> {
  const session = await context.client.createSession();
  const argv = ["sleep", `4.${randomBytes(3).readUIntBE(0, 3)}`];
  const outcome = session.runShell(`${argv.join(" ")} && echo done`);
  await waitUntil(async () => (await findProcesses(argv)).length === 1, 5_000);
  const [pid] = await findProcesses(argv);
  if (pid === undefined) {
    throw new Error(`the victim's ${argv.join(" ")} did not start`);
  }
  return { session, argv, pid, outcome };
}

/** Checks that the victim's sleep survived the attack and ended normally. */
async function verifyVictim(victim: Victim): Promise<void> {
  expect(await findProcesses(victim.argv)).toEqual([victim.pid]);
  const outcome = await victim.outcome;
  expect(outcome.status).toBe(ExecutionStatus.OK);
  expect(outcome.stdout).toBe("done\n");
}

const processAttacks = [
  attack<PlantedSecret>({
    name: "/proc/*/root and /proc/1/cwd traversal to a host secret",
    expected: "ENOENT, secret not read",
    skipReason: explainPlantSkip("/root"),
    plant: () => plantSecret("/root"),
    run: async ({ session }, secret) => {
      const routes = await runAttackScript(session, `RESULTS = {"routes": " ".join(sorted(os.listdir("/proc")))}`);
      const pids = routes.routes!.split(" ").filter((name) => /^\d+$/.test(name));
      const paths = [...pids.map((pid) => `/proc/${pid}/root${secret.path}`), `/proc/1/cwd/../../../../..${secret.path}`, `/proc/${process.pid}/root${secret.path}`];
      return describeReads(await readInSandbox(session, paths), secret.value);
    },
    verify: (_, __, observed) => {
      expect(observed).not.toContain("SECRET READ");
      expect(observed).not.toContain("read");
    },
    remove: (secret) => rm(secret.dir, { recursive: true, force: true }),
  }),
  attack({
    name: "read /proc/<server pid>/environ for a planted variable",
    expected: "ENOENT, ESRCH: the server's pid is not in the namespace",
    run: async ({ session }) => {
      const results = await runAttackScript(
        session,
        `
import glob
def read_environ(path):
    try:
        return open(path, "rb").read()
    except OSError:
        return None
def read_all():
    environs = [read_environ(path) for path in glob.glob("/proc/*/environ")]
    readable = [data for data in environs if data is not None]
    found = sum(${JSON.stringify(CANARY_VALUE)}.encode() in data for data in readable)
    return f"canary in {found} of {len(readable)} readable ({len(environs)} listed)"
RESULTS = {
    "environ": attempt(lambda: open("/proc/${process.pid}/environ", "rb").read().decode(errors="replace")),
    "cmdline": attempt(lambda: open("/proc/${process.pid}/cmdline", "rb").read().decode(errors="replace")),
    "kill -0": attempt(lambda: os.kill(${process.pid}, 0)),
    "pidfd_open": attempt(lambda: os.pidfd_open(${process.pid}) and "opened"),
    "every /proc/*/environ": attempt(read_all),
}
`,
      );
      return describeResults(results).replace(CANARY_VALUE, "CANARY");
    },
    verify: (_, __, observed) => {
      expect(observed).not.toContain("CANARY");
      expect(observed).toContain("environ: ENOENT");
      expect(observed).toContain("every /proc/*/environ: canary in 0 of");
      expect(observed).toContain("kill -0: ESRCH");
      expect(observed).toContain("pidfd_open: ESRCH");
      expect(observed).not.toContain("vitest");
    },
  }),
  attack<{ other: SeatbeltSession }>({
    name: "/proc/self/mountinfo names another session",
    expected: "no other session's id or workspace",
    plant: async ({ client }) => ({ other: await client.createSession() }),
    run: async ({ session }) => {
      const results = await runAttackScript(session, `RESULTS = {"mountinfo": open("/proc/self/mountinfo").read()}`);
      const mountinfo = results.mountinfo!;
      const sessions = new Set(mountinfo.match(/ses_[\w-]+/g));
      return `${mountinfo.trim().split("\n").length} mounts, sessions named: ${[...sessions].map((id) => (id === session.id ? "own" : id)).join(", ")}`;
    },
    verify: (_, { other }, observed) => {
      expect(observed).not.toContain(other.id);
      expect(observed).toContain("sessions named: own");
    },
    remove: ({ other }) => other.close(),
  }),
  attack<{ other: SeatbeltSession; secret: string; planted: string }>({
    name: "read and write another session's workspace",
    expected: "ENOENT, marker unread, nothing planted",
    plant: async ({ client }) => {
      const other = await client.createSession();
      const secret = `secret-${createMarker()}`;
      await other.runShell(`echo ${secret} > secret.txt`);
      return { other, secret, planted: join(other.info.workspaceDir, "planted.txt") };
    },
    run: async ({ session }, { other, secret, planted }) => {
      const workspace = other.info.workspaceDir;
      const reads = await readInSandbox(session, [join(workspace, "secret.txt"), `/proc/1/root${workspace}/secret.txt`, join(workspace, ".."), workspace]);
      const write = await runAttackScript(session, `RESULTS = {"write": attempt(lambda: open(${JSON.stringify(planted)}, "x").close())}`);
      return `${describeReads(reads, secret)}; write: ${write.write}`.replace(session.id, "own workspace only");
    },
    verify: async (_, { other, secret, planted }, observed) => {
      expect(observed).not.toContain("SECRET READ");
      expect(observed).not.toContain(other.id);
      expect(existsSync(planted)).toBe(false);
      expect((await other.runShell("cat secret.txt")).stdout).toBe(`${secret}\n`);
    },
    remove: ({ other }) => other.close(),
  }),
  attack<Victim>({
    name: "signal another session's process by host pid and by /proc search",
    expected: "ESRCH, not found; the victim's sleep ends normally",
    plant: startVictim,
    run: async ({ session }, victim) => {
      const results = await runAttackScript(
        session,
        `
import signal
def search():
    found = [pid for pid in os.listdir("/proc") if pid.isdigit() and b${JSON.stringify(victim.argv[1])} in open(f"/proc/{pid}/cmdline", "rb").read()]
    return "found " + " ".join(found) if found else "not found"
RESULTS = {
    "kill by host pid": attempt(lambda: os.kill(${victim.pid}, signal.SIGKILL)),
    "search /proc": attempt(search),
    "pidfd_open": attempt(lambda: os.pidfd_open(${victim.pid}) and "opened"),
}
`,
      );
      return describeResults(results);
    },
    verify: async (_, victim, observed) => {
      expect(observed).toContain("search /proc: not found");
      await verifyVictim(victim);
    },
    remove: (victim) => victim.session.close(),
  }),
  attack<Victim>({
    name: "ptrace another session's process by host pid",
    expected: "EPERM from the seccomp filter (ESRCH without it); the victim's sleep ends normally",
    plant: startVictim,
    run: async ({ session }, victim) => {
      const results = await runAttackScript(session, `${PTRACE_ATTACH}\nRESULTS = {"PTRACE_ATTACH": attempt(lambda: ptrace_attach(${victim.pid}))}`);
      return describeResults(results);
    },
    verify: async (_, victim, observed) => {
      expect(observed).toBe(HAS_SECCOMP_FILTER ? "PTRACE_ATTACH: EPERM" : "PTRACE_ATTACH: ESRCH");
      await verifyVictim(victim);
    },
    remove: (victim) => victim.session.close(),
  }),
  attack({
    name: "ptrace the sandbox's pid 1 (bubblewrap's init) and the supervisor",
    expected: "EPERM",
    run: async ({ session }) => {
      const results = await runAttackScript(session, `${PTRACE_ATTACH}\nRESULTS = {"pid 1": attempt(lambda: ptrace_attach(1)), "supervisor": attempt(lambda: ptrace_attach(os.getppid()))}`);
      return describeResults(results);
    },
    verify: (_, __, observed) => {
      expect(observed).toBe("pid 1: EPERM, supervisor: EPERM");
    },
  }),
  attack<{ other: SeatbeltSession; marker: string }>({
    name: "kernel keyring: add a key, list and clear @u",
    expected: "EPERM for add_key and keyctl",
    plant: async ({ client }) => ({ other: await client.createSession(), marker: createMarker() }),
    run: async ({ session }, { other, marker }) => {
      const addKey = `attempt(lambda: syscall(${SYSCALL.addKey}, b"user", b"${marker}", b"secret", 6, ${KEY_SPEC_USER_KEYRING}))`;
      const planted = await runAttackScript(other, `RESULTS = {"add_key in the other session": ${addKey}}`);
      const results = await runAttackScript(
        session,
        `
def list_user_keyring():
    buffer = ctypes.create_string_buffer(4096)
    size = _libc.syscall(${SYSCALL.keyctl}, 11, ${KEY_SPEC_USER_KEYRING}, buffer, 4096)
    if size < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    ids = [int.from_bytes(buffer.raw[i:i + 4], "little") for i in range(0, min(size, 4096), 4)]
    descriptions = []
    for key in ids:
        description = ctypes.create_string_buffer(512)
        _libc.syscall(${SYSCALL.keyctl}, 6, key, description, 512)
        descriptions.append(description.value.decode(errors="replace"))
    return f"listed {len(ids)} keys" + (", the other session's key among them" if any("${marker}" in text for text in descriptions) else "")
RESULTS = {
    "add_key": ${addKey},
    "list @u": attempt(list_user_keyring),
    "clear @u": attempt(lambda: syscall(${SYSCALL.keyctl}, 7, ${KEY_SPEC_USER_KEYRING})),
}
`,
      );
      return describeResults({ ...planted, ...results });
    },
    verify: (_, __, observed) => {
      expect(observed).toBe("add_key in the other session: EPERM, add_key: EPERM, list @u: EPERM, clear @u: EPERM");
    },
    remove: ({ other }) => other.close(),
  }),
];

defineAttacks("escape attempts on processes", processAttacks);
