import { ExecutionStatus, type Protocol, createSeatbeltClient } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";

describe("protocols", () => {
  test.for<Protocol>(["grpc", "connect", "grpc-web"])("%s runs the stateful example", async (protocol, { server }) => {
    const client = createSeatbeltClient({ baseUrl: server.url, protocol });
    const session = await client.createSession();

    const chunks: string[] = [];
    const first = await session.runPython("import numpy as np\ndata = [1, 2, 3, 4, 5]\nprint(np.mean(data), np.std(data))", {
      onStdout: (text) => chunks.push(text),
    });
    const second = await session.runPython("data = [v + 10 for v in data]\nprint(np.mean(data), np.std(data))");
    const shell = await session.runShell("echo from-shell >&2; exit 2");
    await session.close();

    expect(first.status).toBe(ExecutionStatus.OK);
    expect(chunks.join("")).toBe("3.0 1.4142135623730951\n");
    expect(second.stdout).toBe("13.0 1.4142135623730951\n");
    expect(shell.status).toBe(ExecutionStatus.ERROR);
    expect(shell.exitCode).toBe(2);
    expect(shell.stderr).toBe("from-shell\n");
  });
});
