"""The first process of a session's sandbox: runs tasks and relays their output.

The server sends frames on file descriptor 3 and reads frames from file
descriptor 4 (see seatbelt_runtime/protocol.py). For every execution the
supervisor creates a fresh pair of pipes for stdout and stderr and keeps
their read ends, so that:

- output written just before the interpreter dies is still delivered,
  because the pipes outlive their writer;
- the result is sent only after everything the execution wrote before it
  ended has been read;
- a background thread or process that writes after its execution ended
  writes into its own, finished pipes, whose bytes are counted and discarded
  instead of being attributed to a later execution.

Everything here runs inside the sandbox, so the server treats every frame
from it as untrusted input.
"""

import fcntl
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

# sys.path[0] is this script's folder, from which the package imports. The
# interpreter replaces that entry with the working directory, as `python -c`
# has it, so the session's code does not see the runtime's folder.
from seatbelt_runtime import interpreter, limits, protocol  # noqa: E402

CONTROL_IN_FD = 3
EVENTS_OUT_FD = 4
READ_CHUNK_BYTES = 64 * 1024
# Output is read in pieces of up to 1 MiB through pipes of that size. A
# flood of output then needs a sixteenth of the reads, writes and wake-ups
# that pieces of 64 KiB need. The server cuts it into 64 KiB chunks.
OUTPUT_READ_BYTES = 1024 * 1024
LATE_OUTPUT_REPORT_INTERVAL_S = 1.0
SIGNALS_BY_ACTION = {"interrupt": signal.SIGINT, "terminate": signal.SIGTERM, "kill": signal.SIGKILL}


def send(frame_type, execution, payload=b""):
    protocol.write_frame(EVENTS_OUT_FD, frame_type, execution, payload)


def send_json(frame_type, execution, value):
    protocol.write_all(EVENTS_OUT_FD, protocol.encode_json(frame_type, execution, value))


def describe_signal(number):
    try:
        return f"signal {number} ({signal.Signals(number).name})"
    except ValueError:
        return f"signal {number}"


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
            _enlarge_pipe(read_end)
            self.pipes[read_end] = frame_type
            child_ends.append(write_end)
        return child_ends


def _enlarge_pipe(fd):
    """Grow a pipe's buffer to OUTPUT_READ_BYTES where the kernel allows it.

    Linux refuses (EPERM) once the sandbox user's pipes hold more than
    fs.pipe-user-pages-soft pages, and the pipe then keeps its 64 KiB.
    """
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, OUTPUT_READ_BYTES)
    except OSError:
        pass


def _close_all_but(*keep):
    """Close every file descriptor from 3 up except those in keep."""
    start = 3
    for fd in sorted(keep):
        os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, os.sysconf("SC_OPEN_MAX"))


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
            _set_dumpable(True)
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            _close_all_but(sock.fileno(), late_fd)
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


class Supervisor:
    """The event loop: requests from the server, output pipes, child exits."""

    def __init__(self, environment, python_safety=None):
        self.environment = environment
        self.python_safety = python_safety
        self.selector = selectors.DefaultSelector()
        self.frames = protocol.FrameReader()
        self.current = None
        self.late_bytes = 0
        self.late_reported_at = 0.0
        self.interpreter = None
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_read, False)
        os.set_blocking(wake_write, False)
        self.wake_read = wake_read
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.selector.register(CONTROL_IN_FD, selectors.EVENT_READ, self._on_control)
        self.selector.register(wake_read, selectors.EVENT_READ, self._on_child_signal)

    # Interpreter life cycle.

    def start_interpreter(self):
        self.interpreter = Interpreter(self.environment, self.python_safety)
        self.selector.register(self.interpreter.socket, selectors.EVENT_READ, self._on_interpreter)
        # Late output of the interpreter's threads is counted and dropped,
        # like that of background processes.
        self.selector.register(self.interpreter.late_output, selectors.EVENT_READ, self._on_output)

    def _on_interpreter(self, sock):
        data = sock.recv(READ_CHUNK_BYTES)
        if not data:
            self.selector.unregister(sock)
            return
        self.interpreter.replies += data
        reply = self.interpreter.take_reply()
        if reply is not None and self.current is not None and self.current.kind == "python":
            self._finish(reply)

    def _forget_socket(self, sock):
        try:
            self.selector.unregister(sock)
        except KeyError:
            pass
        sock.close()

    def _reap_interpreter(self):
        pid, status = os.waitpid(self.interpreter.pid, os.WNOHANG)
        if pid != 0:
            self._replace_interpreter(status)

    def _replace_interpreter(self, status):
        """Report the exit of the interpreter with wait status status and start a new one."""
        old = self.interpreter
        # A reply sent just before the process ended may still be unread.
        old.socket.setblocking(False)
        try:
            while chunk := old.socket.recv(READ_CHUNK_BYTES):
                old.replies += chunk
        except (BlockingIOError, ConnectionResetError):
            pass
        self._forget_socket(old.socket)
        reply = old.take_reply()
        running = self.current is not None and self.current.kind == "python"
        if reply is not None and running:
            self._finish(reply)
            running = False
        cause = self._describe_exit(status)
        self.start_interpreter()
        if running:
            self._finish(self._crash_reply(status, cause))
        else:
            send_json(protocol.RESTARTED, 0, {"message": f"the idle interpreter {cause}"})

    @staticmethod
    def _describe_exit(status):
        if os.WIFSIGNALED(status):
            return f"was killed by {describe_signal(os.WTERMSIG(status))}"
        return f"exited with status {os.WEXITSTATUS(status)}"

    def _crash_reply(self, status, cause):
        reply = {"status": "crashed", "interpreterRestarted": True, "message": f"interpreter {cause}; its variables are lost"}
        if os.WIFSIGNALED(status):
            reply["signal"] = os.WTERMSIG(status)
        else:
            reply["exitCode"] = os.WEXITSTATUS(status)
        return reply

    # Requests from the server.

    def _on_control(self, fd):
        data = os.read(fd, READ_CHUNK_BYTES)
        if not data:
            raise SystemExit(0)
        for frame_type, execution, payload in self.frames.feed(data):
            if frame_type == protocol.EXEC:
                self._start(execution, json.loads(payload))
            elif frame_type == protocol.SIGNAL:
                self._signal(execution, json.loads(payload)["action"])
            elif frame_type == protocol.INPUT:
                self._input(execution, payload)
            elif frame_type == protocol.CLOSE_INPUT:
                self._close_input(execution)

    def _start(self, number, task):
        if self.current is not None:
            send_json(protocol.RESULT, number, {"status": "error", "message": "another execution is running"})
            return
        execution = Execution(number, task["kind"])
        child_ends = execution.open_pipes(task.get("stdin") == "pipe")
        for read_end in execution.pipes:
            self.selector.register(read_end, selectors.EVENT_READ, self._on_output)
        self.current = execution
        try:
            if execution.kind == "python":
                self._send_to_interpreter({"execution": number, "code": task["code"]}, child_ends)
            else:
                execution.process = self._spawn_shell(task, child_ends)
        except OSError as error:
            self._finish({"status": "error", "exitCode": 127, "message": f"could not start the command: {error}"})
        finally:
            for fd in child_ends:
                os.close(fd)

    def _send_to_interpreter(self, request, write_ends):
        try:
            self.interpreter.send_request(request, write_ends)
        except (BrokenPipeError, ConnectionResetError):
            # The idle interpreter died and its SIGCHLD is not handled yet:
            # replace it now and hand the request to the new one.
            self.interpreter.signal(signal.SIGKILL)
            os.waitpid(self.interpreter.pid, 0)
            self._forget_socket(self.interpreter.socket)
            self.start_interpreter()
            send_json(protocol.RESTARTED, 0, {"message": "the idle interpreter had ended"})
            self.interpreter.send_request(request, write_ends)

    def _spawn_shell(self, task, child_ends):
        argv = task.get("argv") or ["/bin/sh", "-c", task["command"]]
        return subprocess.Popen(
            argv,
            stdin=child_ends[0],
            stdout=child_ends[1],
            stderr=child_ends[2],
            cwd=task.get("workdir") or None,
            env=self.environment,
            start_new_session=True,
        )

    def _signal(self, number, action):
        if action == "kill-all":
            self._kill_all()
            return
        execution = self.current
        if execution is None or execution.number != number:
            return
        signal_number = SIGNALS_BY_ACTION[action]
        if execution.kind == "python":
            self.interpreter.signal(signal_number)
            return
        try:
            os.killpg(execution.process.pid, signal_number)
        except ProcessLookupError:
            pass

    # Standard input.

    def _input(self, number, data):
        execution = self.current
        if execution is None or execution.number != number or execution.stdin is None:
            return
        execution.stdin_pending += data
        self._write_input(execution.stdin)

    def _close_input(self, number):
        execution = self.current
        if execution is None or execution.number != number or execution.stdin is None:
            return
        execution.stdin_closing = True
        self._write_input(execution.stdin)

    def _write_input(self, fd):
        """Write pending input without blocking; wait for the pipe when it is full."""
        execution = self.current
        try:
            while execution.stdin_pending:
                written = os.write(fd, execution.stdin_pending)
                del execution.stdin_pending[:written]
        except BlockingIOError:
            if fd not in self.selector.get_map():
                self.selector.register(fd, selectors.EVENT_WRITE, self._write_input)
            return
        except BrokenPipeError:
            # Nothing reads stdin any more: the input is of no use.
            execution.stdin_pending.clear()
            execution.stdin_closing = True
        if fd in self.selector.get_map():
            self.selector.unregister(fd)
        if execution.stdin_closing:
            self._close_stdin(execution)

    def _close_stdin(self, execution):
        if execution.stdin is None:
            return
        if execution.stdin in self.selector.get_map():
            self.selector.unregister(execution.stdin)
        os.close(execution.stdin)
        execution.stdin = None

    def _kill_all(self):
        """Kill every process of the session, on the server's request after a limit was hit.

        The interpreter is waited for and replaced at once, so that an
        execution that the server sends next reaches the new one.
        """
        limits.kill_every_process()
        _pid, status = os.waitpid(self.interpreter.pid, 0)
        self._replace_interpreter(status)

    # Output and completion.

    def _on_output(self, fd):
        try:
            data = os.read(fd, OUTPUT_READ_BYTES)
        except BlockingIOError:
            return
        if not data:
            self._close_pipe(fd)
            return
        if self.current is not None and fd in self.current.pipes:
            send(self.current.pipes[fd], self.current.number, data)
            return
        self.late_bytes += len(data)
        self._report_late_output()

    def _close_pipe(self, fd):
        self.selector.unregister(fd)
        os.close(fd)
        if self.current is not None:
            self.current.pipes.pop(fd, None)

    def _report_late_output(self, force=False):
        if not self.late_bytes:
            return
        now = time.monotonic()
        if force or now - self.late_reported_at >= LATE_OUTPUT_REPORT_INTERVAL_S:
            send_json(protocol.LATE_OUTPUT, 0, {"bytes": self.late_bytes})
            self.late_bytes = 0
            self.late_reported_at = now

    def _drain(self, execution):
        """Relay everything the execution's pipes hold right now."""
        for fd, frame_type in list(execution.pipes.items()):
            while True:
                try:
                    data = os.read(fd, OUTPUT_READ_BYTES)
                except BlockingIOError:
                    break
                if not data:
                    self._close_pipe(fd)
                    break
                send(frame_type, execution.number, data)

    def _finish(self, reply):
        execution = self.current
        self._close_stdin(execution)
        self._drain(execution)
        self.current = None
        # Pipes still held open by background descendants stay registered.
        # They belong to no execution now, so _on_output counts and drops
        # whatever arrives on them.
        reply["durationMs"] = round((time.monotonic() - execution.started) * 1000)
        send_json(protocol.RESULT, execution.number, reply)
        self._report_late_output(force=True)

    def _on_child_signal(self, fd):
        try:
            while os.read(fd, 512):
                pass
        except BlockingIOError:
            pass
        self._reap_interpreter()
        execution = self.current
        if execution is not None and execution.process is not None and execution.settle is None:
            code = execution.process.poll()
            if code is not None:
                execution.settle = limits.GroupSettle(execution.process.pid)
                self._settle_shell()

    def _settle_shell(self):
        """Finish the shell execution whose command has exited, once its GroupSettle allows it."""
        execution = self.current
        if execution is not None and execution.settle is not None and execution.settle.poll():
            self._finish(self._shell_reply(execution.process.returncode))

    @staticmethod
    def _shell_reply(code):
        if code < 0:
            return {"status": "error", "signal": -code, "message": f"command was killed by {describe_signal(-code)}"}
        return {"status": "ok" if code == 0 else "error", "exitCode": code}

    def run(self):
        while True:
            # Late output held back by the rate limit is reported when its
            # interval ends, even if nothing else happens by then.
            timeout = None
            if self.late_bytes:
                timeout = max(0.0, self.late_reported_at + LATE_OUTPUT_REPORT_INTERVAL_S - time.monotonic())
            if self.current is not None and self.current.settle is not None:
                poll_s = limits.GroupSettle.POLL_S
                timeout = poll_s if timeout is None else min(timeout, poll_s)
            events = self.selector.select(timeout)
            self._report_late_output()
            self._settle_shell()
            for key, _events in events:
                # A handler earlier in this batch may have closed this file
                # descriptor; its stale event must not reach the handler.
                if self.selector.get_map().get(key.fd) is key:
                    key.data(key.fileobj)


def read_init():
    frames = protocol.FrameReader()
    while True:
        data = os.read(CONTROL_IN_FD, READ_CHUNK_BYTES)
        if not data:
            raise SystemExit(0)
        for frame_type, _execution, payload in frames.feed(data):
            if frame_type != protocol.INIT:
                raise SystemExit(f"expected INIT frame, got type {frame_type}")
            return json.loads(payload)


def _close_inherited_fds():
    """Close every file descriptor that the server's process passed down.

    bubblewrap hands its child every descriptor without close-on-exec, such as
    one the server inherited from the shell that started it. Only 0 to 4 are
    the sandbox's own.
    """
    os.closerange(EVENTS_OUT_FD + 1, os.sysconf("SC_OPEN_MAX"))


def _set_dumpable(dumpable):
    """Set PR_SET_DUMPABLE, which decides who may ptrace this process.

    A process that is not dumpable cannot be traced, and its /proc/PID/fd
    cannot be opened, by the session's code, which runs as the same user. So
    that code cannot take over the supervisor's frame channel to the server.
    """
    import ctypes

    PR_SET_DUMPABLE = 4
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, int(dumpable), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE) failed")


def main():
    _close_inherited_fds()
    _enlarge_pipe(EVENTS_OUT_FD)
    _set_dumpable(False)
    init = read_init()
    limits.apply_rlimits(init.get("rlimits", {}))
    supervisor = Supervisor(init["environment"], init.get("pythonSafety"))
    supervisor.start_interpreter()
    version = ".".join(str(part) for part in sys.version_info[:3])
    send_json(protocol.READY, 0, {"pythonVersion": version, "interpreterPid": supervisor.interpreter.pid})
    supervisor.run()


if __name__ == "__main__":
    main()
