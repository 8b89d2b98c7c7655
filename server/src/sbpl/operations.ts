/**
 * Operations that a rule may name. The families ending in `*` cover every
 * operation that starts with the part before the star, as in sandbox-exec.
 */
export const SBPL_OPERATIONS = [
  "default",
  "file*",
  "file-read*",
  "file-read-data",
  "file-read-metadata",
  "file-read-xattr",
  "file-write*",
  "file-write-data",
  "file-write-create",
  "file-write-unlink",
  "file-write-mode",
  "file-write-owner",
  "file-write-times",
  "file-write-xattr",
  "file-write-flags",
  "file-ioctl",
  "network*",
  "network-outbound",
  "network-inbound",
  "network-bind",
  "process*",
  "process-exec",
  "process-exec*",
  "process-fork",
  "process-info*",
  "process-info-pidinfo",
  "process-info-setcontrol",
  "process-info-listpids",
  "process-info-dirtycontrol",
  "process-info-codesignature",
  "signal",
  "mach*",
  "mach-lookup",
  "mach-register",
  "mach-priv-host-port",
  "iokit-open",
  "iokit*",
  "ipc*",
  "ipc-posix*",
  "ipc-posix-shm",
  "ipc-posix-shm*",
  "ipc-posix-sem",
  "ipc-sysv*",
  "sysctl*",
  "sysctl-read",
  "sysctl-write",
  "system*",
  "system-socket",
  "user-preference-read",
  "user-preference-write",
  "pseudo-tty",
  "lsopen",
] as const;

const KNOWN_OPERATIONS: ReadonlySet<string> = new Set(SBPL_OPERATIONS);

/** Operations that read a file's contents and its metadata; Linux cannot grant one without the other. */
export const FILE_READ_OPERATIONS = ["file-read-data", "file-read-metadata"] as const;

/** Operations that change a file or directory; a read-write mount grants all of them at once. */
export const FILE_WRITE_OPERATIONS = ["file-write-data", "file-write-create", "file-write-unlink"] as const;

/** Returns true for an operation name that SBPL defines. */
export function isKnownOperation(name: string): boolean {
  return KNOWN_OPERATIONS.has(name);
}

/** Returns true when a rule's operation covers a concrete operation, such as file-read* covering file-read-data. */
export function operationCovers(ruleOperation: string, operation: string): boolean {
  if (ruleOperation === operation) {
    return true;
  }
  if (ruleOperation.endsWith("*")) {
    return operation.startsWith(ruleOperation.slice(0, -1));
  }
  return false;
}
