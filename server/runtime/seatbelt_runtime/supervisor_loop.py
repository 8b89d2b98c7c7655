"""The supervisor's event loop: requests from the server, output pipes, child exits.

Everything here runs inside the sandbox, so the server treats every frame
from it as untrusted input. Only one execution runs at a time; frames that
name another execution are ignored.
"""

import json
import os
import selectors
import signal
import time

from seatbelt_runtime import limits, protocol
from seatbelt_runtime.channel import CONTROL_IN_FD, READ_CHUNK_BYTES, send, send_json
from seatbelt_runtime.execution import OUTPUT_READ_BYTES, Execution
from seatbelt_runtime.interpreter_process import Interpreter, crash_reply, describe_exit
from seatbelt_runtime.late_output import LateOutput
from seatbelt_runtime.shell import describe_start_failure, shell_reply, spawn_shell
from seatbelt_runtime.stdin_writer import StdinWriter

SIGNALS_BY_ACTION = {"interrupt": signal.SIGINT, "terminate": signal.SIGTERM, "kill": signal.SIGKILL}


class Supervisor:
    """The event loop: requests from the server, output pipes, child exits."""

    def __init__(self, environment, python_safety=None):
        self.environment = environment
        self.python_safety = python_safety
        self.selector = selectors.DefaultSelector()
        self.frames = protocol.FrameReader()
        self.current = None
        self.late = LateOutput()
        self.stdin = StdinWriter(self.selector)
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
        cause = describe_exit(status)
        self.start_interpreter()
        if running:
            self._finish(crash_reply(status, cause))
        else:
            send_json(protocol.RESTARTED, 0, {"message": f"the idle interpreter {cause}"})

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
                execution.process = spawn_shell(task, child_ends, self.environment)
        except OSError as error:
            message = f"could not start the command: {error}" if execution.kind == "python" else describe_start_failure(task, error)
            self._finish({"status": "error", "exitCode": 127, "message": message})
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

    def _kill_all(self):
        """Kill every process of the session, on the server's request after a limit was hit.

        The interpreter is waited for and replaced at once, so that an
        execution that the server sends next reaches the new one.
        """
        limits.kill_every_process()
        _pid, status = os.waitpid(self.interpreter.pid, 0)
        self._replace_interpreter(status)

    # Standard input.

    def _stdin_of(self, number):
        """Return the running execution numbered number while its stdin is open, else None."""
        execution = self.current
        if execution is None or execution.number != number or execution.stdin is None:
            return None
        return execution

    def _input(self, number, data):
        execution = self._stdin_of(number)
        if execution is not None:
            self.stdin.feed(execution, data)

    def _close_input(self, number):
        execution = self._stdin_of(number)
        if execution is not None:
            self.stdin.close_after_pending(execution)

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
        self.late.add(len(data))

    def _close_pipe(self, fd):
        self.selector.unregister(fd)
        os.close(fd)
        if self.current is not None:
            self.current.pipes.pop(fd, None)

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
        self.stdin.close(execution)
        self._drain(execution)
        self.current = None
        # Pipes still held open by background descendants stay registered.
        # They belong to no execution now, so _on_output counts and drops
        # whatever arrives on them.
        reply["durationMs"] = round((time.monotonic() - execution.started) * 1000)
        send_json(protocol.RESULT, execution.number, reply)
        self.late.report(force=True)

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
            self._finish(shell_reply(execution.process.returncode))

    def run(self):
        while True:
            # Late output held back by the rate limit is reported when its
            # interval ends, even if nothing else happens by then.
            timeout = self.late.seconds_to_report()
            if self.current is not None and self.current.settle is not None:
                poll_s = limits.GroupSettle.POLL_S
                timeout = poll_s if timeout is None else min(timeout, poll_s)
            events = self.selector.select(timeout)
            self.late.report()
            self._settle_shell()
            for key, _events in events:
                # A handler earlier in this batch may have closed this file
                # descriptor; its stale event must not reach the handler.
                if self.selector.get_map().get(key.fd) is key:
                    key.data(key.fileobj)
