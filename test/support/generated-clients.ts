import { cp, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { REPO_ROOT, TOOLS_DIR, getToolsEnv } from "./tools.js";

/** The API's proto files, relative to proto/; the health and reflection protocols are left out. */
const SEATBELT_PROTOS = ["seatbelt/v1/execution.proto", "seatbelt/v1/server_info.proto", "seatbelt/v1/session.proto"];

/** Python of the virtual environment that has grpcio and grpcio-tools. */
export const PYTHON = join(TOOLS_DIR, "python", "bin", "python");

/**
 * Generates the Python modules of the API into a new temporary directory
 * with grpcio-tools, and returns that directory for PYTHONPATH.
 */
export async function generatePythonClient(): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), "seatbelt-python-client-"));
  await execa(PYTHON, ["-m", "grpc_tools.protoc", "-I", "proto", `--python_out=${out}`, `--grpc_python_out=${out}`, ...SEATBELT_PROTOS.map((file) => join("proto", file))], { cwd: REPO_ROOT });
  return out;
}

/**
 * Copies the Go client's sources into a new temporary directory, generates
 * its seatbeltv1 package there with buf, protoc-gen-go and
 * protoc-gen-go-grpc, builds it and returns the directory and the program.
 */
export async function buildGoClient(): Promise<{ dir: string; program: string }> {
  const dir = await mkdtemp(join(tmpdir(), "seatbelt-go-client-"));
  await cp(join(REPO_ROOT, "test", "clients", "go"), dir, { recursive: true });

  // The proto files set no go_package, so each gets its import path here.
  const mapping = SEATBELT_PROTOS.map((file) => `M${file}=seatbelt.test/goclient/seatbeltv1`);
  const template = {
    version: "v2",
    plugins: [
      { local: join(TOOLS_DIR, "bin", "protoc-gen-go"), out: dir, opt: ["module=seatbelt.test/goclient", ...mapping] },
      { local: join(TOOLS_DIR, "bin", "protoc-gen-go-grpc"), out: dir, opt: ["module=seatbelt.test/goclient", ...mapping] },
    ],
  };
  const templatePath = join(dir, "buf.gen.yaml");
  await writeFile(templatePath, JSON.stringify(template));
  const env = getToolsEnv();
  await execa("npx", ["buf", "generate", "--template", templatePath, "--path", "proto/seatbelt/v1"], { cwd: REPO_ROOT, env });

  const program = join(dir, "stateful-client");
  await execa("go", ["build", "-o", program, "."], { cwd: dir, env: { ...env, GOFLAGS: "-mod=mod" } });
  return { dir, program };
}
