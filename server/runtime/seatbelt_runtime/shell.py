"""Shell executions: starting a command and reading its exit into a reply."""

import os
import subprocess

from seatbelt_runtime.processes import describe_signal


def spawn_shell(task, child_ends, environment):
    """Start a shell task in a process group of its own, on the execution's pipes.

    child_ends are stdin, stdout and stderr as Execution.open_pipes returns
    them. A task with argv runs that program; otherwise /bin/sh runs command.
    """
    argv = task.get("argv") or ["/bin/sh", "-c", task["command"]]
    return subprocess.Popen(
        argv,
        stdin=child_ends[0],
        stdout=child_ends[1],
        stderr=child_ends[2],
        cwd=task.get("workdir") or None,
        env=environment,
        start_new_session=True,
    )


def shell_reply(code):
    """Return the reply for a shell command that ended with Popen returncode code."""
    if code < 0:
        return {"status": "error", "signal": -code, "message": f"command was killed by {describe_signal(-code)}"}
    return {"status": "ok" if code == 0 else "error", "exitCode": code}


def describe_start_failure(task, error):
    """Return the message for a shell task that Popen could not start with OSError error.

    The working directory can only be checked inside the sandbox, and Popen
    reports a missing one as the program's error, so it is named here.
    """
    workdir = task.get("workdir")
    if workdir and not os.path.isdir(workdir):
        return f"workdir {workdir!r} is not a directory in the sandbox; a relative workdir starts at the workspace"
    return f"could not start the command: {error}"
