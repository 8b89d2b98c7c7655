"""The interpreter's sys.stdout and sys.stderr.

Three properties that plain file objects lack:

- Order across the two streams. stdout and stderr are separate pipes, and
  the supervisor cannot tell which of two filled pipes was written first.
  So before a write switches streams, it waits until the supervisor has read
  everything from the other pipe. This covers writes through sys.stdout and
  sys.stderr; a child process writing to both file descriptors keeps only
  the order within each stream.
- One write per print() call, so that print(i, end=" ", flush=True) arrives
  as one chunk rather than one for the value and one for the separator.
- Late output. A thread started by one execution keeps that execution's
  number. When it prints after its execution has ended, the text goes to a
  pipe that the supervisor counts and discards, never into the execution
  that is running then.

NOTE: a thread that bypasses sys.stdout and sys.stderr (os.write(1, ...), a
C extension, a subprocess it starts later) writes into whichever execution
is running, because all threads share the process's file descriptors. Only
running such threads in a process of their own would separate them.
"""

import builtins
import fcntl
import functools
import io
import sys
import termios
import threading
import time
import os

# How long a write waits for the other stream's pipe to drain. Past this the
# supervisor is stalled (its client reads slowly), and order gives way to
# progress.
ORDER_WAIT_LIMIT_S = 0.1
ORDER_POLL_INTERVAL_S = 0.0001


class _State:
    """State shared by both streams, the thread hook and the interpreter loop."""

    current_execution = None
    last_fd = None
    late_fd = None


def begin_execution(number):
    _State.current_execution = number
    _State.last_fd = None


def end_execution():
    _State.current_execution = None


def is_running_user_code():
    return _State.current_execution is not None


def _owner_has_finished():
    owner = getattr(threading.current_thread(), "_seatbelt_execution", None)
    return owner is not None and owner != _State.current_execution


def _count_unread_bytes(fd):
    buffer = bytearray(4)
    fcntl.ioctl(fd, termios.FIONREAD, buffer)
    return int.from_bytes(buffer, sys.byteorder)


def _wait_until_read(fd):
    deadline = time.monotonic() + ORDER_WAIT_LIMIT_S
    try:
        while _count_unread_bytes(fd) > 0 and time.monotonic() < deadline:
            time.sleep(ORDER_POLL_INTERVAL_S)
    except OSError:
        # Not a pipe any more (the code redirected it): nothing to wait for.
        pass


class ExecutionStream(io.TextIOWrapper):
    """An unbuffered UTF-8 text stream on file descriptor 1 or 2."""

    def __init__(self, fd):
        super().__init__(io.FileIO(fd, "w", closefd=False), encoding="utf-8", errors="backslashreplace", write_through=True)
        self._fd = fd

    def write(self, text):
        if _owner_has_finished():
            data = text.encode("utf-8", "backslashreplace")
            try:
                os.write(_State.late_fd, data)
            except OSError:
                pass
            return len(text)
        if _State.last_fd is not None and _State.last_fd != self._fd:
            _wait_until_read(_State.last_fd)
        _State.last_fd = self._fd
        return super().write(text)


_original_print = builtins.print


@functools.wraps(_original_print)
def _print(*values, sep=" ", end="\n", file=None, flush=False):
    target = sys.stdout if file is None else file
    if not isinstance(target, ExecutionStream):
        return _original_print(*values, sep=sep, end=end, file=file, flush=flush)
    text = io.StringIO()
    _original_print(*values, sep=sep, end=end, file=text)
    if text.tell():
        target.write(text.getvalue())
    if flush:
        target.flush()


def _tag_threads_with_their_execution():
    original_start = threading.Thread.start

    def start(thread):
        thread._seatbelt_execution = _State.current_execution
        return original_start(thread)

    threading.Thread.start = start


def install(late_fd):
    """Replace sys.stdout, sys.stderr and print for the session's code."""
    _State.late_fd = late_fd
    sys.stdout = sys.__stdout__ = ExecutionStream(1)
    sys.stderr = sys.__stderr__ = ExecutionStream(2)
    builtins.print = _print
    _tag_threads_with_their_execution()
