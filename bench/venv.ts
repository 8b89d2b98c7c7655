import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

/**
 * Packages of the alternatives, from PyPI. tinyagent-py imports rich without
 * declaring it, and its bubblewrap provider needs the "code" extra
 * (cloudpickle); both are added here rather than patched.
 */
export const ALTERNATIVE_PACKAGES = ["tinyagent-py[code]", "rich", "jupyter_client", "ipykernel"] as const;

/** Distributions whose installed versions the report names. */
const REPORTED_DISTRIBUTIONS = ["tinyagent-py", "cloudpickle", "jupyter_client", "ipykernel", "pyzmq"];

/** A virtual environment with the alternatives installed. */
export interface BenchVenv {
  readonly dir: string;
  readonly python: string;
  /** Installed versions by distribution name. */
  readonly versions: Readonly<Record<string, string>>;
}

/**
 * Creates, once per package list and base interpreter, a throw-away virtual
 * environment under the temporary directory and installs the alternatives
 * from the package registry. Its base is the system interpreter, which lives
 * under /usr, because tinyagent's sandbox mounts /usr but not a home
 * directory.
 */
export async function ensureVenv(basePython: string): Promise<BenchVenv> {
  const key = createHash("sha256").update([basePython, ...ALTERNATIVE_PACKAGES].join("\n")).digest("hex").slice(0, 12);
  const dir = join(tmpdir(), "seatbelt-bench", `venv-${key}`);
  const python = join(dir, "bin", "python");
  const marker = join(dir, ".installed");

  if (!existsSync(marker)) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    process.stderr.write(`bench: installing ${ALTERNATIVE_PACKAGES.join(", ")} into ${dir}\n`);
    await execa(basePython, ["-m", "venv", dir], { stdio: "inherit" });
    await execa(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...ALTERNATIVE_PACKAGES], { stdio: "inherit" });
    await execa("touch", [marker]);
  }

  const listing = await execa(python, ["-m", "pip", "list", "--format=json", "--disable-pip-version-check"]);
  const installed = JSON.parse(listing.stdout) as Array<{ name: string; version: string }>;
  const versions: Record<string, string> = {};
  for (const { name, version } of installed) {
    const wanted = REPORTED_DISTRIBUTIONS.find((candidate) => candidate.toLowerCase().replace(/_/g, "-") === name.toLowerCase().replace(/_/g, "-"));
    if (wanted !== undefined) {
      versions[wanted] = version;
    }
  }
  return { dir, python, versions };
}
