import type { CheckedSyscall, RefusedSyscall } from "./policy.js";

/**
 * System call numbers of one architecture for every call that the filter
 * names. A refused call is null where the architecture has no such call;
 * the calls checked by their arguments exist everywhere.
 */
export type SyscallTable = Readonly<Record<RefusedSyscall, number | null> & Record<CheckedSyscall, number>>;
