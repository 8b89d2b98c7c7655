import { createSeatbeltClient } from "/work/main/client/dist/index.js";
const client = createSeatbeltClient({ baseUrl: "http://127.0.0.1:50990", protocol: process.argv[2] });
const s = await client.createSession();
for (let i = 0; i < 100; i++) await s.runPython("x = 1");
const times = [];
for (let i = 0; i < 500; i++) { const t = performance.now(); await s.runPython("x = 1"); times.push(performance.now() - t); }
times.sort((a, b) => a - b);
console.log(process.argv[2], "p50", times[250].toFixed(3), "p99", times[495].toFixed(3));
const u = [];
for (let i = 0; i < 300; i++) { const t = performance.now(); await client.listSessions(); u.push(performance.now() - t); }
u.sort((a, b) => a - b); console.log("unary p50", u[150].toFixed(3));
await s.close();
