"""The forked Python process that keeps the session's namespace, seen from the supervisor."""

import json
import os
import signal
import socket

from seatbelt_runtime import interpreter
from seatbelt_runtime.processes import close_all_but, describe_signal, set_dumpable


class Interpreter:
    """The forked Python process that keeps the session's namespace."""

    def __init__(self, environment, python_safety):
        parent, child = socket.socketpair()
        late_read, late_write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            parent.close()
            self._become_interpreter(child, late_write, environment, python_safety)
        child.close()
        os.close(late_write)
        os.set_blocking(late_read, False)
        self.socket = parent
        self.late_output = late_read
        self.replies = bytearray()

    @staticmethod
    def _become_interpreter(sock, late_fd, environment, python_safety):
        status = 0
        try:
            os.setsid()
            # The interpreter runs the session's code, so hiding it from
            # that code protects nothing and would stop tools like py-spy.
            set_dumpable(True)
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            close_all_but(sock.fileno(), late_fd)
            interpreter.serve(sock, late_fd, environment, python_safety)
        except BaseException:  # noqa: B902 - report anything, then leave
            import traceback

            traceback.print_exc()
            status = 70
        os._exit(status)

    def send_request(self, request, fds):
        body = json.dumps(request).encode()
        header = interpreter.LENGTH.pack(len(body))
        socket.send_fds(self.socket, [header], fds)
        self.socket.sendall(body)

    def take_reply(self):
        """Return the reply received so far, or None while it is incomplete."""
        size = interpreter.LENGTH.size
        if len(self.replies) < size:
            return None
        (length,) = interpreter.LENGTH.unpack_from(self.replies)
        if len(self.replies) < size + length:
            return None
        reply = json.loads(self.replies[size : size + length])
        del self.replies[: size + length]
        return reply

    def signal(self, number):
        try:
            if number == signal.SIGKILL:
                os.killpg(self.pid, number)
            else:
                os.kill(self.pid, number)
        except ProcessLookupError:
            pass


def describe_exit(status):
    """Describe how a process with wait status status ended, for a message."""
    if os.WIFSIGNALED(status):
        return f"was killed by {describe_signal(os.WTERMSIG(status))}"
    return f"exited with status {os.WEXITSTATUS(status)}"


def crash_reply(status, cause):
    """Return the reply for an execution whose interpreter ended with wait status status."""
    reply = {"status": "crashed", "interpreterRestarted": True, "message": f"interpreter {cause}; its variables are lost"}
    if os.WIFSIGNALED(status):
        reply["signal"] = os.WTERMSIG(status)
    else:
        reply["exitCode"] = os.WEXITSTATUS(status)
    return reply
