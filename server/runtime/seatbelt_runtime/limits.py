"""Resource limits of the sandbox's processes, applied by the supervisor.

The server places the sandbox in a cgroup, when the host has them, before it
sends the INIT frame. The limits that cgroups do not cover are resource
limits (setrlimit), which the supervisor sets on itself before it starts the
interpreter, so that every process of the session inherits them. Soft and
hard limits are equal, and the sandbox has no capabilities, so no process
can raise them again.
"""

import os
import resource
import signal
import time

RLIMITS = {
    "nofile": resource.RLIMIT_NOFILE,
    "fsize": resource.RLIMIT_FSIZE,
    "as": resource.RLIMIT_AS,
    "nproc": resource.RLIMIT_NPROC,
}


def apply_rlimits(limits):
    """Set each limit in limits, a mapping from a name of RLIMITS to a value."""
    for name, value in limits.items():
        resource.setrlimit(RLIMITS[name], (value, value))


def kill_every_process():
    """Send SIGKILL to every process of the sandbox but this one and init.

    In a PID namespace kill(-1) reaches exactly the namespace's processes
    other than the caller and the namespace's init, and the kernel does not
    let a process fork once SIGKILL is pending for it, so a fork bomb cannot
    outrun it. The supervisor's parent is the namespace's init (pid 1) only
    inside a sandbox. Anywhere else kill(-1) would reach every process of the
    user, so this function raises instead.
    """
    if os.getppid() != 1:
        raise RuntimeError("refusing kill(-1) outside a PID namespace")
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass


def list_group_members(pgid):
    """Return the pids of the processes in process group pgid, from /proc."""
    members = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat_file:
                stat = stat_file.read()
        except OSError:
            continue
        # The fields after the command name, which is in parentheses and may
        # contain anything, are: state, ppid, pgrp, ...
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid:
            members.add(int(name))
    return members


class GroupSettle:
    """Decides when a shell execution whose command has exited may end.

    The command's process group may still hold processes that it started in
    the background. The execution ends once the group is empty, once no new
    process has appeared in it for QUIET_POLLS polls (a server started with
    `&` keeps running, and the result does not wait for it), or after MAX_S.
    A fork bomb keeps starting processes until it reaches the session's
    process limit, so the execution that started it is still running when
    the limit is hit, and its result names the limit.
    """

    MAX_S = 2.0
    POLL_S = 0.02
    QUIET_POLLS = 5

    def __init__(self, pgid):
        self.pgid = pgid
        self.deadline = time.monotonic() + self.MAX_S
        self.next_poll = 0.0
        self.seen = set()
        self.quiet_polls = 0

    def poll(self):
        """Return True when the execution may end; polls at most every POLL_S."""
        now = time.monotonic()
        if now < self.next_poll:
            return False
        self.next_poll = now + self.POLL_S
        members = list_group_members(self.pgid)
        if members - self.seen:
            self.seen |= members
            self.quiet_polls = 0
        else:
            self.quiet_polls += 1
        return not members or self.quiet_polls >= self.QUIET_POLLS or now >= self.deadline
