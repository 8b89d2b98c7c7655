"""The session's Python interpreter: runs cells in one persistent namespace.

The supervisor forks this process and talks to it over a Unix stream socket.
Each request is a 4-byte big-endian length and a JSON body. Its first byte
carries, as SCM_RIGHTS, the write ends of the execution's stdout and stderr
pipes, which become file descriptors 1 and 2 while the cell runs. The reply is
a length and a JSON body, sent after the cell's output has been written.
Nothing is serialised between cells: the namespace simply stays in memory.
"""

import ast
import builtins
import io
import json
import linecache
import os
import signal
import socket
import struct
import sys
import traceback
import types

from seatbelt_runtime import streams

LENGTH = struct.Struct(">I")
RUNTIME_DIR = os.path.dirname(os.path.abspath(__file__))
MAX_VALUE_CHARS = 64 * 1024
TOP_LEVEL_AWAIT = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
# inspect.CO_COROUTINE, without importing inspect at start-up.
CO_COROUTINE = 0x80


def _on_sigint(signum, frame):
    # The supervisor interrupts with SIGINT; only user code may see it, never
    # the loop that reads requests and sends replies.
    if streams.is_running_user_code():
        raise KeyboardInterrupt


def _user_traceback(error):
    """Format error from the first frame of the session's code on.

    The frames before it belong to this runtime or to asyncio, which ran the
    cell, and mean nothing to the session. A SyntaxError has no cell frame
    and keeps none.
    """
    tb = error.__traceback__
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell-"):
        tb = tb.tb_next
    # An interrupt is raised inside this runtime's SIGINT handler, which
    # would otherwise show as the last frame.
    last_own = None
    entry = tb
    while entry is not None:
        if not entry.tb_frame.f_code.co_filename.startswith(RUNTIME_DIR):
            last_own = entry
        entry = entry.tb_next
    if last_own is not None:
        last_own.tb_next = None
    return "".join(traceback.format_exception(type(error), error, tb))


def _truncate(text):
    """Cut text to MAX_VALUE_CHARS, marking how much was left out."""
    if len(text) <= MAX_VALUE_CHARS:
        return text
    hidden = len(text) - MAX_VALUE_CHARS
    return f"{text[:MAX_VALUE_CHARS]}… [truncated: {hidden} more characters]"


# Name that briefly receives the value of a cell's final expression.
RESULT_NAME = "__seatbelt_result__"


class Cell:
    """One request's code, compiled like a notebook cell.

    A final expression statement becomes an assignment to RESULT_NAME, so
    that the cell compiles to one code object, which is a coroutine when the
    cell uses top-level await anywhere.
    """

    def __init__(self, source, number, guard=None):
        self.filename = f"<cell-{number}>"
        linecache.cache[self.filename] = (len(source), None, source.splitlines(True), self.filename)
        tree = ast.parse(source, self.filename, "exec")
        if guard is not None:
            guard.check_cell(tree)
        self.has_result = bool(tree.body) and isinstance(tree.body[-1], ast.Expr)
        if self.has_result:
            last = tree.body[-1]
            target = ast.Name(id=RESULT_NAME, ctx=ast.Store())
            tree.body[-1] = ast.copy_location(ast.Assign(targets=[target], value=last.value), last)
            ast.fix_missing_locations(tree)
        self.code = compile(tree, self.filename, "exec", flags=TOP_LEVEL_AWAIT)


class Interpreter:
    """Runs cells in one namespace, which is the __main__ module."""

    def __init__(self):
        # The session's safety guard, when it has Python safety settings.
        self.guard = None
        self.main_module = types.ModuleType("__main__")
        self.main_module.__dict__["__builtins__"] = builtins
        sys.modules["__main__"] = self.main_module
        self.loop = None
        self.cells = 0

    def _evaluate(self, code):
        value = eval(code, self.main_module.__dict__)
        if code.co_flags & CO_COROUTINE:
            # Cells that use top-level await share one event loop, so tasks
            # created by one cell can be awaited by the next. asyncio is
            # imported here because importing it takes about 30 ms, which
            # every session start would pay.
            if self.loop is None:
                import asyncio

                self.loop = asyncio.new_event_loop()
                asyncio.set_event_loop(self.loop)
            value = self.loop.run_until_complete(value)
        return value

    def run(self, source):
        """Run source and return the reply for the supervisor.

        A refusal of the safety guard, before the cell ran or while it ran,
        makes the cell rejected even when its code caught the refusal.
        """
        if self.guard is None:
            return self._run_cell(source)
        self.guard.begin_cell()
        reply = self._run_cell(source)
        refusal = self.guard.take_refusal()
        return reply if refusal is None else refusal.reply()

    def _run_cell(self, source):
        self.cells += 1
        namespace = self.main_module.__dict__
        try:
            cell = Cell(source, self.cells, self.guard)
            self._evaluate(cell.code)
            value = namespace.pop(RESULT_NAME, None) if cell.has_result else None
            # repr() runs the session's own code, so it may raise too.
            value_repr = None if value is None else _truncate(repr(value))
        except SystemExit as exit_request:
            return _system_exit_reply(exit_request)
        except BaseException as error:  # noqa: B902 - every exception is the cell's result
            return {"status": "error", "error": _error_fields(error)}
        finally:
            namespace.pop(RESULT_NAME, None)
        reply = {"status": "ok"}
        if value_repr is not None:
            reply["value"] = value_repr
        return reply


def _error_fields(error):
    # Results travel in one frame, so messages and tracebacks are cut like
    # values are: an exception carrying megabytes must not end the session.
    # A traceback keeps its end, which names the exception.
    try:
        traceback_text = _user_traceback(error)
    except Exception:  # noqa: B902 - formatting runs the exception's own __str__
        traceback_text = f"{type(error).__name__}: {_describe(error)}\n"
    if len(traceback_text) > MAX_VALUE_CHARS:
        hidden = len(traceback_text) - MAX_VALUE_CHARS
        traceback_text = f"[truncated: {hidden} earlier characters] …{traceback_text[-MAX_VALUE_CHARS:]}"
    return {"name": type(error).__name__, "value": _truncate(_describe(error)), "traceback": traceback_text}


def _describe(error):
    try:
        return str(error)
    except Exception as failure:  # noqa: B902 - a broken __str__ must not end the session
        return f"<str() of the exception failed: {type(failure).__name__}>"


def _system_exit_reply(exit_request):
    code = exit_request.code
    if code is None or code == 0:
        return {"status": "ok", "exitCode": 0}
    if isinstance(code, int):
        return {"status": "error", "exitCode": code, "error": _error_fields(exit_request)}
    # sys.exit("message") prints the message and exits with status 1.
    print(code, file=sys.stderr)
    return {"status": "error", "exitCode": 1, "error": _error_fields(exit_request)}


def _receive_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError("supervisor closed the socket")
        data += chunk
    return data


def _receive_request(sock):
    header, fds, _flags, _address = socket.recv_fds(sock, LENGTH.size, 3)
    if not header:
        raise EOFError("supervisor closed the socket")
    header += _receive_exactly(sock, LENGTH.size - len(header))
    (length,) = LENGTH.unpack(header)
    return json.loads(_receive_exactly(sock, length)), fds


# NOTE: the session's code runs in this process and can reach sock, so a
# thread of one cell can send a forged reply for a later cell. Only a
# reply channel outside the process, such as a pipe that the supervisor
# watches for the interpreter's exit, would close that.
def _send_reply(sock, reply):
    body = json.dumps(reply).encode()
    sock.sendall(LENGTH.pack(len(body)) + body)


def _redirect_stdio(stdin_fd, stdout_fd, stderr_fd):
    for target, fd in enumerate((stdin_fd, stdout_fd, stderr_fd)):
        os.dup2(fd, target)
        os.close(fd)
    # A fresh reader, so that no input read ahead for one execution is
    # seen by the next.
    sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")


def _prepare_process(environment, late_fd):
    os.environ.clear()
    os.environ.update(environment)
    # This process was forked from the running supervisor, which read no
    # PYTHONPATH at start-up, so the session's PYTHONPATH is applied here.
    # The working directory replaces the runtime's folder as the first entry,
    # as with `python -c`.
    # The supervisor runs with -s, so that no file in the workspace (HOME)
    # runs inside it; the session's own interpreter gets the user site back.
    import site

    site.ENABLE_USER_SITE = True
    site.addusersitepackages(None)
    extra_paths = [path for path in environment.get("PYTHONPATH", "").split(os.pathsep) if path]
    sys.path[0:1] = ["", *extra_paths]
    sys.argv = [""]
    streams.install(late_fd)
    signal.signal(signal.SIGINT, _on_sigint)


def _warm_up():
    """Run one cell's path once, in a namespace that is thrown away.

    This process is a fork of the supervisor, so the first cell would pay
    for the copy-on-write faults of the pages it touches and for the code
    that Python runs once. Doing it here, while the sandbox waits for its
    first request, takes that time off the first execution.
    """
    cell = Cell("(lambda value: value)(1)", 0)
    eval(cell.code, {"__builtins__": builtins})
    linecache.cache.pop(cell.filename, None)
    json.dumps({"status": "ok", "value": repr(1)})


def serve(sock, late_fd, environment, python_safety=None):
    """Serve requests from the supervisor until it closes the socket.

    late_fd is a pipe to the supervisor for output that threads write after
    their execution has ended. python_safety holds the session's Python
    safety settings, or None.
    """
    _prepare_process(environment, late_fd)
    _warm_up()
    interpreter = Interpreter()
    if python_safety is not None:
        # Imported only here, so that a session without settings pays nothing.
        from seatbelt_runtime.safety.guard import Guard

        interpreter.guard = Guard(python_safety, interpreter.main_module.__dict__)
        interpreter.guard.install()
    devnull = os.open(os.devnull, os.O_RDWR)
    while True:
        try:
            request, fds = _receive_request(sock)
        except EOFError:
            return
        _redirect_stdio(*fds)
        streams.begin_execution(request["execution"])
        try:
            reply = interpreter.run(request["code"])
        finally:
            streams.end_execution()
        sys.stdout.flush()
        sys.stderr.flush()
        for target in (0, 1, 2):
            os.dup2(devnull, target)
        _send_reply(sock, reply)
