"""One execution inside the sandbox: its output pipes, its stdin, its shell process.

For every execution the supervisor creates a fresh pair of pipes for stdout
and stderr and keeps their read ends, so that:

- output written just before the interpreter dies is still delivered,
  because the pipes outlive their writer;
- the result is sent only after everything the execution wrote before it
  ended has been read;
- a background thread or process that writes after its execution ended
  writes into its own, finished pipes, whose bytes are counted and discarded
  instead of being attributed to a later execution.
"""

import fcntl
import os
import time

from seatbelt_runtime import protocol

# Output is read in pieces of up to 1 MiB through pipes of that size. A
# flood of output then needs a sixteenth of the reads, writes and wake-ups
# that pieces of 64 KiB need. The server cuts it into 64 KiB chunks.
OUTPUT_READ_BYTES = 1024 * 1024


class Execution:
    """One running task: its pipes and, for a shell task, its process."""

    def __init__(self, number, kind):
        self.number = number
        self.kind = kind
        self.started = time.monotonic()
        self.pipes = {}
        self.process = None
        self.stdin = None
        self.stdin_pending = bytearray()
        self.stdin_closing = False
        # Set when a shell command has exited and its execution waits for
        # the processes left in its process group (see limits.GroupSettle).
        self.settle = None

    def open_pipes(self, stdin_pipe):
        """Create the stdout and stderr pipes, and a stdin pipe if asked for.

        Return the child's ends. The supervisor keeps the write end of stdin
        and the read ends of stdout and stderr. Without a stdin pipe, the
        child's stdin is /dev/null, at end of file.
        """
        if stdin_pipe:
            stdin_read, self.stdin = os.pipe()
            os.set_blocking(self.stdin, False)
        else:
            stdin_read = os.open(os.devnull, os.O_RDONLY)
        child_ends = [stdin_read]
        for frame_type in (protocol.STDOUT, protocol.STDERR):
            read_end, write_end = os.pipe()
            os.set_blocking(read_end, False)
            enlarge_pipe(read_end)
            self.pipes[read_end] = frame_type
            child_ends.append(write_end)
        return child_ends


def enlarge_pipe(fd):
    """Grow a pipe's buffer to OUTPUT_READ_BYTES where the kernel allows it.

    Linux refuses (EPERM) once the sandbox user's pipes hold more than
    fs.pipe-user-pages-soft pages, and the pipe then keeps its 64 KiB.
    """
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, OUTPUT_READ_BYTES)
    except OSError:
        pass
