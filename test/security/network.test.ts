import { type Socket as UdpSocket, createSocket } from "node:dgram";
import { type AddressInfo, type Server, createServer } from "node:net";
import { expect } from "../support/fixtures.js";
import { attack, createMarker, defineAttacks, describeResults, runAttackScript } from "./support/attacks.js";

/** Listeners that the test runs in the host's network namespace, counting what reaches them. */
interface HostListeners {
  readonly tcp: Server;
  readonly abstract: Server;
  readonly abstractName: string;
  readonly udp: UdpSocket;
  readonly received: { connections: number; datagrams: number };
}

async function startHostListeners(): Promise<HostListeners> {
  const received = { connections: 0, datagrams: 0 };
  const tcp = createServer((socket) => {
    received.connections++;
    socket.destroy();
  });
  const abstract = createServer((socket) => {
    received.connections++;
    socket.destroy();
  });
  const abstractName = `\0${createMarker()}`;
  const udp = createSocket("udp4", () => received.datagrams++);
  await new Promise<void>((resolve) => tcp.listen(0, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => abstract.listen(abstractName, resolve));
  await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", resolve));
  return { tcp, abstract, abstractName, udp, received };
}

async function stopHostListeners(listeners: HostListeners): Promise<void> {
  await Promise.all([listeners.tcp, listeners.abstract].map((server) => new Promise((resolve) => server.close(resolve))));
  await new Promise<void>((resolve) => listeners.udp.close(resolve));
}

function portOf(address: AddressInfo | string | null): number {
  return (address as AddressInfo).port;
}

/**
 * Python that resolves names only when the sandbox has no interface but
 * loopback, so that a sandbox with a network could not send a query out.
 */
const RESOLVE_SCRIPT = `
import socket
interfaces = [name for _, name in socket.if_nameindex()]
def resolve(name):
    if interfaces != ["lo"]:
        return "not tried: interfaces " + " ".join(interfaces)
    try:
        return "resolved " + socket.getaddrinfo(name, 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
    except socket.gaierror as error:
        codes = {getattr(socket, code): code for code in dir(socket) if code.startswith("EAI_")}
        return codes.get(error.errno, str(error.errno))
RESULTS = {"interfaces": " ".join(interfaces), "seatbelt-escape.invalid": resolve("seatbelt-escape.invalid"), "localhost": resolve("localhost")}
`;

const networkAttacks = [
  attack<HostListeners>({
    name: "connect to host TCP and abstract Unix listeners, and the server's port",
    expected: "connection refused, listeners saw nothing",
    plant: startHostListeners,
    run: async ({ session, server }, listeners) => {
      const results = await runAttackScript(
        session,
        `
import socket
def connect(family, address):
    sock = socket.socket(family)
    sock.settimeout(3)
    try:
        sock.connect(address)
        return "connected"
    finally:
        sock.close()
RESULTS = {
    "host TCP listener": attempt(lambda: connect(socket.AF_INET, ("127.0.0.1", ${portOf(listeners.tcp.address())}))),
    "abstract Unix listener": attempt(lambda: connect(socket.AF_UNIX, ${JSON.stringify(listeners.abstractName)})),
    "server port": attempt(lambda: connect(socket.AF_INET, ("127.0.0.1", ${server.port}))),
}
`,
      );
      return `${describeResults(results).replaceAll("ECONNREFUSED", "connection refused")}; listeners saw ${listeners.received.connections} connections`;
    },
    verify: (_, listeners, observed) => {
      expect(observed).toBe(
        "host TCP listener: connection refused, abstract Unix listener: connection refused, server port: connection refused; listeners saw 0 connections",
      );
      expect(listeners.received.connections).toBe(0);
    },
    remove: stopHostListeners,
  }),
  attack<HostListeners>({
    name: "send a DNS query to a host resolver on 127.0.0.1",
    expected: "no datagram reaches the host",
    plant: startHostListeners,
    run: async ({ session }, listeners) => {
      // A standard query for example.invalid, type A, to the host's listener.
      const results = await runAttackScript(
        session,
        `
import socket, time
QUERY = bytes.fromhex("123401000001000000000000076578616d706c6507696e76616c69640000010001")
def query():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(1)
    sock.sendto(QUERY, ("127.0.0.1", ${portOf(listeners.udp.address())}))
    try:
        return "answered " + str(len(sock.recv(512)))
    except socket.timeout:
        return "sent, no answer"
RESULTS = {"query": attempt(query)}
`,
      );
      // Give a datagram that left the sandbox time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 200));
      return `${describeResults(results).replace("ECONNREFUSED", "port unreachable in the sandbox")}; host saw ${listeners.received.datagrams} datagrams`;
    },
    verify: (_, listeners) => {
      expect(listeners.received.datagrams).toBe(0);
    },
    remove: stopHostListeners,
  }),
  attack({
    name: "resolve a name with getaddrinfo",
    expected: "lookup fails (EAI_*): only loopback exists",
    run: async ({ session }) => describeResults(await runAttackScript(session, RESOLVE_SCRIPT)),
    verify: (_, __, observed) => {
      expect(observed).toMatch(/^interfaces: lo, seatbelt-escape\.invalid: EAI_\w+, localhost: resolved 127\.0\.0\.1$/);
    },
  }),
];

defineAttacks("escape attempts on the network", networkAttacks);
