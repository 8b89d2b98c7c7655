"""Process-level settings that the supervisor and the interpreter it forks share."""

import os
import signal


def describe_signal(number):
    """Return a signal's number and name for a message, such as "signal 9 (SIGKILL)"."""
    try:
        return f"signal {number} ({signal.Signals(number).name})"
    except ValueError:
        return f"signal {number}"


def close_all_but(*keep):
    """Close every file descriptor from 3 up except those in keep."""
    start = 3
    for fd in sorted(keep):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, os.sysconf("SC_OPEN_MAX"))


def set_dumpable(dumpable):
    """Set PR_SET_DUMPABLE, which decides who may ptrace this process.

    A process that is not dumpable cannot be traced, and its /proc/PID/fd
    cannot be opened, by the session's code, which runs as the same user. So
    that code cannot take over the supervisor's frame channel to the server.
    """
    import ctypes

    PR_SET_DUMPABLE = 4
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, int(dumpable), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")
