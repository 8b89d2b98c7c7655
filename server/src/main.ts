import { parseArgs } from "node:util";
import { ZodError } from "zod";
import { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PYTHON, type ServerConfigInput } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";

const HELP = `Usage: seatbelt-server [options]

Serves sandboxed Python and shell sessions over gRPC, gRPC-Web and Connect.

Options:
  --host ADDRESS     address to listen on (env SEATBELT_HOST; default ${DEFAULT_HOST})
  --port NUMBER      port to listen on, 0 for any free port (env SEATBELT_PORT; default ${DEFAULT_PORT})
  --state-dir DIR    parent of workspaces and runtime files (env SEATBELT_STATE_DIR;
                     default /var/lib/seatbelt as root, else a folder in the temporary directory)
  --python PATH      interpreter of the sessions (env SEATBELT_PYTHON; default ${DEFAULT_PYTHON})
  --log-level LEVEL  fatal, error, warn, info, debug or trace (env SEATBELT_LOG_LEVEL; default info)
  -h, --help         print this help
`;

function readConfig(): ServerConfigInput {
  const { values } = parseArgs({
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "state-dir": { type: "string" },
      python: { type: "string" },
      "log-level": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const env = process.env;
  const port = values.port ?? env.SEATBELT_PORT;
  const config: Record<string, unknown> = {
    host: values.host ?? env.SEATBELT_HOST,
    port: port === undefined ? undefined : Number(port),
    stateDir: values["state-dir"] ?? env.SEATBELT_STATE_DIR,
    python: values.python ?? env.SEATBELT_PYTHON,
    logLevel: values["log-level"] ?? env.SEATBELT_LOG_LEVEL,
  };
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined)) as ServerConfigInput;
}

async function main(): Promise<void> {
  let input: ServerConfigInput;
  try {
    input = readConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  const logger = createLogger((input.logLevel as string | undefined) ?? "info");

  // The handlers are installed before the server starts, so that a signal
  // that arrives during start-up waits for it and then removes what it made.
  // They stay installed during shutdown, so that a second signal does not
  // kill the server before it has removed the workspaces.
  const starting = startServer(input, logger);
  const shutdown = (signal: NodeJS.Signals) => {
    logger.info({ signal }, "shutting down");
    starting
      .then((server) => server.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);

  await starting.catch((error: unknown) => {
    logger.fatal({ err: error }, `server failed to start: ${describeStartError(error)}`);
    process.exit(1);
  });
}

function describeStartError(error: unknown): string {
  if (error instanceof ZodError) {
    return error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
  }
  if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
    return `${String(error)}; another process listens there, so choose another address with --port or --host`;
  }
  return String(error);
}

await main();
