import { startServer } from "/work/main/server/dist/server.js";
const server = await startServer({ port: 50990, logLevel: "warn" });
console.log("up");
