import { ExecutionStatus, createSeatbeltClient } from "@seatbelt/client";

const client = createSeatbeltClient({ baseUrl: process.env.SEATBELT_URL ?? "http://127.0.0.1:50051" });
const session = await client.createSession();
const live = { onStdout: (text: string) => process.stdout.write(text) };

await session.runPython("import numpy as np\ndata = [1, 2, 3, 4, 5]\nprint(np.mean(data), np.std(data))", live);
// 3.0 1.4142135623730951

const outcome = await session.runPython("data = [v + 10 for v in data]\nprint(np.mean(data), np.std(data))", live);
// 13.0 1.4142135623730951
console.log(outcome.status === ExecutionStatus.OK);

await session.runShell("ls -A /tmp; echo done", live); // the same sandbox as the Python code
await session.close();
