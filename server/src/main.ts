import { ZodError } from "zod";
import { SettingsError } from "./cli/check-settings.js";
import { formatServerHelp, parseServerArgs } from "./cli/server-args.js";
import { runTokenCommand } from "./cli/token-command.js";
import type { ServerConfigInput } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function main(): Promise<void> {
  if (process.argv[2] === "token") {
    const result = await runTokenCommand(process.argv.slice(3), readStdin);
    if (result.exitCode === 0) {
      process.stdout.write(result.stdout);
    } else {
      process.stderr.write(result.stderr);
    }
    process.exit(result.exitCode);
  }
  let input: ServerConfigInput;
  try {
    const args = parseServerArgs(process.argv.slice(2), process.env);
    if (args.help) {
      process.stdout.write(args.text);
      process.exit(0);
    }
    input = args.config;
  } catch (error) {
    // A bad value gets one line. A bad flag gets the usage as well.
    const usage = error instanceof SettingsError ? "" : `\n${formatServerHelp()}`;
    process.stderr.write(`${(error as Error).message}\n${usage}`);
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
