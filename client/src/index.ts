export {
  SeatbeltClient,
  createSeatbeltClient,
  createTransport,
  type CallOptions,
  type CreateSessionOptions,
  type Protocol,
  type SeatbeltClientOptions,
  type StreamOutputOptions,
  type TlsOptions,
  type TransportOptions,
} from "./client.js";
export { Code } from "@connectrpc/connect";
export * from "./errors.js";
export { followWithResume, type ResumeOptions } from "./resume.js";
export { SeatbeltSession, collectOutcome, type ExecutionOutcome, type RunOptions, type ShellOptions } from "./session.js";
export * from "./gen/seatbelt/v1/execution_pb.js";
export * from "./gen/seatbelt/v1/server_info_pb.js";
export * from "./gen/seatbelt/v1/session_pb.js";
