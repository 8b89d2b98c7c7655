"""Checks that run while a cell's code runs, backing the static ones.

- An import hook checks every import that the session's code requests,
  including those made for it from C code (pickle's find_class), against
  authorized_imports. Imports that a module makes for its own use are its
  dependencies and pass.
- exec, eval and compile check the code they are handed with the same rules
  before running or compiling it, and only run code objects that they
  compiled themselves.
- Each dangerous built-in that authorized_functions leaves out refuses calls
  from the session's code, however it was reached, while library code that
  uses it (linecache's open, dataclasses' exec) keeps working.
- A module that would load from outside the interpreter's own directories
  (the workspace, /tmp) is refused while imports are restricted, because its
  code would run unchecked under a name the list allows.
"""

import ast
import builtins
import importlib
import importlib.machinery
import importlib.util
import os
from opcode import opmap
import site
import sys
import sysconfig
import threading
import weakref

from .policy import Policy
from .refusal import FUNCTION, IMPORT, INTROSPECTION, Refusal
from .static_check import REPLACED_FUNCTIONS, check_tree

CELL_PREFIX = "<cell-"
IMPORT_NAME = opmap["IMPORT_NAME"]


def _is_session_code(frame):
    return frame is not None and frame.f_code.co_filename.startswith(CELL_PREFIX)


def _session_frame():
    """Return the innermost frame of the session's code on the stack, or None."""
    frame = sys._getframe(1)
    while frame is not None and not _is_session_code(frame):
        frame = frame.f_back
    return frame


def _position(frame):
    if frame is None:
        return 0, 0
    for index, position in enumerate(frame.f_code.co_positions()):
        if index == frame.f_lasti // 2:
            line, _end_line, column, _end_column = position
            return line or frame.f_lineno, (column or 0) + 1
    return frame.f_lineno, 0


def _trusted_roots():
    roots = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.update(site.getsitepackages())
    roots.update({sys.base_prefix + "/lib", "/usr/lib/python3/dist-packages"})
    roots.add(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return tuple(os.path.realpath(root) + os.sep for root in roots)


class Guard:
    """The runtime side of one session's Python safety settings."""

    def __init__(self, settings, namespace):
        self.policy = Policy(settings)
        self.namespace = namespace
        self.refusal = None
        self.compiled = weakref.WeakSet()
        self.originals = {}
        self.trusted_roots = _trusted_roots()

    # The interpreter's side.

    def check_cell(self, tree):
        """Raise Refusal when the cell's tree breaks a rule, before anything of it runs."""
        try:
            check_tree(tree, self.policy, self.namespace)
        except Refusal as refusal:
            self.refusal = refusal
            raise

    def begin_cell(self):
        self.refusal = None

    def take_refusal(self):
        """Return the first refusal of the cell that just ended, or None."""
        sys.settrace(None)
        refusal, self.refusal = self.refusal, None
        return refusal

    def install(self):
        """Replace the built-ins and import functions that the settings restrict."""
        self.originals = {name: getattr(builtins, name) for name in ("exec", "eval", "compile", "__import__")}
        if self.policy.imports is not None:
            builtins.__import__ = self._import
            self.originals["import_module"] = importlib.import_module
            importlib.import_module = self._import_module
            finders = sys.meta_path
            position = next((index for index, finder in enumerate(finders) if finder is importlib.machinery.PathFinder), len(finders))
            finders.insert(position, _OriginCheck(self))
        builtins.exec = self._wrap_code_function("exec")
        builtins.eval = self._wrap_code_function("eval")
        builtins.compile = self._checked_compile
        if self.policy.functions is not None:
            for name in ("open", "input", "breakpoint", "globals", "locals", "vars"):
                if not self.policy.allows_function(name):
                    setattr(builtins, name, self._refusing(name, getattr(builtins, name)))

    # Refusals.

    def refuse(self, rule, name, message):
        """Record a refusal at the innermost frame of the session's code and raise it."""
        line, column = _position(_session_frame())
        self._record(Refusal(rule, name, message, line, column))

    def _record(self, refusal):
        """Raise refusal, and raise it again at every later line of the session's code.

        The session's code may catch the first raise, but the cell must end
        at the refusal. A trace function on the session's frames raises the
        refusal again at the next line that any of them runs, until the cell
        has unwound.
        """
        if self.refusal is None:
            self.refusal = refusal
        first = self.refusal

        def trace(frame, event, _arg):
            if not _is_session_code(frame):
                return None
            if event == "line":
                raise first
            return trace

        frame = sys._getframe(1)
        while frame is not None:
            if _is_session_code(frame):
                frame.f_trace = trace
                frame.f_trace_lines = True
            frame = frame.f_back
        sys.settrace(trace)
        raise refusal

    # Imports.

    def _check_import_name(self, name):
        if not self.policy.allows_import(name) and not Policy.is_runtime_support(name):
            self.refuse(IMPORT, name, f"import of {name!r} is not allowed by authorized_imports")

    def _import(self, name, globals=None, locals=None, fromlist=(), level=0):
        # NOTE: an import that library code requests by name for the session
        # (the pure-Python pickle, runpy) comes from a library frame and
        # passes like the library's own dependencies. Telling the two apart
        # needs the data flow from the session's code, which is not tracked.
        caller = sys._getframe(1)
        if _is_session_code(caller):
            if level:
                self.refuse(IMPORT, "." * level + name, "relative imports are not allowed while imports are restricted")
            # C code that the session's code called (numpy's mean() loading
            # numpy.core._methods) imports with the session's frame on top.
            # A package that the list allows may load its own submodules so.
            by_statement = caller.f_code.co_code[caller.f_lasti] == IMPORT_NAME
            if by_statement or not self.policy.allows_import(name.partition(".")[0]):
                self._check_import_name(name)
        return self.originals["__import__"](name, globals, locals, fromlist, level)

    def _import_module(self, name, package=None):
        if _is_session_code(sys._getframe(1)):
            absolute = importlib.util.resolve_name(name, package) if name.startswith(".") else name
            self._check_import_name(absolute)
        return self.originals["import_module"](name, package)

    def check_origin(self, spec):
        origin = spec.origin
        if not spec.has_location or not origin:
            return
        if not os.path.realpath(origin).startswith(self.trusted_roots):
            self.refuse(
                IMPORT,
                spec.name,
                f"module {spec.name!r} would load from {origin}, outside the interpreter's directories, where the checks do not reach",
            )

    # exec, eval and compile.

    def _refusing(self, name, original):
        guard = self

        def refusing(*args, **kwargs):
            caller = sys._getframe(1)
            if _is_session_code(caller):
                guard.refuse(FUNCTION, name, f"the built-in {name}() is not allowed by authorized_functions")
            # globals(), locals() and vars() read the frame they are called
            # from, which must be the caller's and not this wrapper's.
            if name == "globals":
                return caller.f_globals
            if name in ("locals", "vars") and not args:
                return caller.f_locals
            return original(*args, **kwargs)

        return _stand_for(refusing, name)

    def _checked_code(self, source, filename, mode, flags=0):
        """Check source with the cell rules and compile it as session code."""
        if isinstance(source, (bytes, bytearray)):
            source = bytes(source).decode("utf-8")
        if not filename.startswith(CELL_PREFIX):
            filename = f"{CELL_PREFIX}exec:{filename}>"
        tree = ast.parse(source, filename, mode) if not isinstance(source, ast.AST) else source
        try:
            check_tree(tree, self.policy, self.namespace)
        except Refusal as refusal:
            self._record(refusal)
        code = self.originals["compile"](tree, filename, mode, flags & ~ast.PyCF_ONLY_AST, True)
        self.compiled.add(code)
        return code

    def _checked_compile(self, source, filename, mode, flags=0, dont_inherit=False, optimize=-1, **kwargs):
        if not _is_session_code(sys._getframe(1)):
            # ast.parse passes _feature_version, which compile() keeps private.
            return self.originals["compile"](source, filename, mode, flags, dont_inherit, optimize, **kwargs)
        if not self.policy.allows_function("compile"):
            self.refuse(FUNCTION, "compile", "the built-in compile() is not allowed by authorized_functions")
        if flags & ast.PyCF_ONLY_AST:
            return self.originals["compile"](source, filename, mode, flags, dont_inherit, optimize)
        return self._checked_code(source, os.fspath(filename) if not isinstance(filename, str) else filename, mode, flags)

    def _wrap_code_function(self, name):
        guard = self
        original = self.originals[name]
        mode = "exec" if name == "exec" else "eval"

        def run(source, globals=None, locals=None, /, **kwargs):
            caller = sys._getframe(1)
            if not _is_session_code(caller):
                return original(source, globals, locals, **kwargs)
            if not guard.policy.allows_function(name):
                guard.refuse(FUNCTION, name, f"the built-in {name}() is not allowed by authorized_functions")
            if isinstance(source, (str, bytes, bytearray)):
                code = guard._checked_code(source, f"<{name}>", mode)
            elif source in guard.compiled:
                code = source
            else:
                guard.refuse(INTROSPECTION, name, f"{name}() of a code object that compile() did not produce is not allowed while checks are on")
            if globals is None:
                globals, locals = caller.f_globals, caller.f_locals if locals is None else locals
            return original(code, globals, locals, **kwargs)

        return _stand_for(run, name)


def _stand_for(function, qualified_name):
    """Record the dotted name of the function that a replacement replaces.

    The static check resolves a name that an earlier cell bound (`e = exec`)
    by this record, so `e("...")` in a later cell is checked like `exec("...")`.
    The record is kept outside the function, where the session's code
    cannot change it. No wrapper is added, because a wrapper's frame would
    hide the session's frame from the replacement.
    """
    REPLACED_FUNCTIONS[function] = qualified_name
    name = qualified_name.rpartition(".")[2]
    function.__name__ = function.__qualname__ = name
    return function


class _OriginCheck:
    """A meta path finder that rejects modules found outside the trusted directories."""

    def __init__(self, guard):
        self.guard = guard
        self.local = threading.local()

    def find_spec(self, name, path=None, target=None):
        if getattr(self.local, "busy", False):
            return None
        self.local.busy = True
        try:
            spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        finally:
            self.local.busy = False
        if spec is not None:
            self.guard.check_origin(spec)
        return spec


_stand_for(Guard._import, "__import__")
_stand_for(Guard._import_module, "importlib.import_module")
_stand_for(Guard._checked_compile, "compile")
