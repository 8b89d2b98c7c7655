"""Writing the server's input into an execution's stdin pipe without blocking the supervisor."""

import os
import selectors


class StdinWriter:
    """Writes pending input to an execution's stdin, waiting on the selector while the pipe is full."""

    def __init__(self, selector):
        self.selector = selector

    def feed(self, execution, data):
        """Queue data for the execution's stdin and write what the pipe takes now."""
        execution.stdin_pending += data
        self.write(execution)

    def close_after_pending(self, execution):
        """Close the execution's stdin once the input queued before this call is written."""
        execution.stdin_closing = True
        self.write(execution)

    def write(self, execution):
        """Write pending input without blocking; wait for the pipe when it is full."""
        fd = execution.stdin
        try:
            while execution.stdin_pending:
                written = os.write(fd, execution.stdin_pending)
                del execution.stdin_pending[:written]
        except BlockingIOError:
            if fd not in self.selector.get_map():
                self.selector.register(fd, selectors.EVENT_WRITE, lambda _fd: self.write(execution))
            return
        except BrokenPipeError:
            # Nothing reads stdin any more: the input is of no use.
            execution.stdin_pending.clear()
            execution.stdin_closing = True
        if fd in self.selector.get_map():
            self.selector.unregister(fd)
        if execution.stdin_closing:
            self.close(execution)

    def close(self, execution):
        """Close the execution's stdin pipe now, dropping input not yet written."""
        if execution.stdin is None:
            return
        if execution.stdin in self.selector.get_map():
            self.selector.unregister(execution.stdin)
        os.close(execution.stdin)
        execution.stdin = None
