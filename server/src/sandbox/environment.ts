/**
 * Base environment of every sandbox. The server's own environment never
 * reaches sandboxed code: the sandbox starts from these names and the
 * session's `env` only.
 */
export function buildBaseEnvironment(workspaceDir: string): Record<string, string> {
  return {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: workspaceDir,
    TMPDIR: "/tmp",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    SHELL: "/bin/sh",
    TERM: "dumb",
    USER: "sandbox",
    LOGNAME: "sandbox",
    // Python programs that the session starts stream their output live too.
    PYTHONUNBUFFERED: "1",
    MPLBACKEND: "Agg",
  };
}

/** Environment of the session's code: the base, then the session's own names. */
export function buildSessionEnvironment(workspaceDir: string, sessionEnv: Readonly<Record<string, string>>): Record<string, string> {
  return { ...buildBaseEnvironment(workspaceDir), ...sessionEnv };
}
