export { SeatbeltClient, createSeatbeltClient, createTransport, type CreateSessionOptions, type Protocol, type SeatbeltClientOptions } from "./client.js";
export { SeatbeltSession, collectOutcome, type ExecutionOutcome, type RunOptions, type ShellOptions } from "./session.js";
export * from "./gen/seatbelt/v1/execution_pb.js";
export * from "./gen/seatbelt/v1/server_info_pb.js";
export * from "./gen/seatbelt/v1/session_pb.js";
