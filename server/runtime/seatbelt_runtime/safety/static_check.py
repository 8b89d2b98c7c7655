"""Checks of a cell's syntax tree, run before any of its code runs."""

import _string
import ast
import importlib
import string
import sys
import types

from .obfuscation import BuiltStrings, fold
from .policy import DANGEROUS_FUNCTIONS
from .refusal import FUNCTION, IMPORT, INTROSPECTION, OBFUSCATION, Refusal

# Dunder attributes that ordinary code uses and through which nothing that
# the two lists keep away can be reached. Every other dunder attribute is
# rejected: __subclasses__, __globals__, __builtins__, __dict__ and the like
# lead from any object to any module or built-in.
HARMLESS_DUNDERS = frozenset(
    {
        "__init__", "__new__", "__call__", "__enter__", "__exit__", "__aenter__", "__aexit__", "__iter__",
        "__next__", "__aiter__", "__anext__", "__await__", "__len__", "__contains__", "__getitem__",
        "__setitem__", "__delitem__", "__missing__", "__str__", "__repr__", "__format__", "__hash__", "__bool__",
        "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__add__", "__sub__", "__mul__",
        "__truediv__", "__floordiv__", "__mod__", "__pow__", "__neg__", "__pos__", "__abs__", "__radd__",
        "__rsub__", "__rmul__", "__rtruediv__", "__matmul__", "__and__", "__or__", "__xor__", "__invert__",
        "__name__", "__qualname__", "__doc__", "__module__", "__version__", "__class__", "__annotations__",
        "__slots__", "__post_init__", "__init_subclass__", "__set_name__", "__class_getitem__", "__file__",
        "__all__", "__wrapped__", "__array__", "__index__", "__int__", "__float__", "__complex__", "__round__",
    }
)
# Names that lead to the built-ins or to the import machinery.
BLOCKED_NAMES = frozenset({"__builtins__", "__loader__", "__spec__"})
# Attributes of the import machinery that load a module without an import statement.
IMPORT_MACHINERY_ATTRIBUTES = frozenset(
    {
        "load_module", "exec_module", "create_module", "find_spec", "find_module", "find_loader",
        "module_from_spec", "spec_from_file_location", "spec_from_loader", "_bootstrap", "_bootstrap_external",
    }
)
# Attributes that reach a frame, whose globals and built-ins contain every name.
FRAME_ATTRIBUTES = frozenset({"f_globals", "f_builtins", "f_locals", "f_back", "gi_frame", "cr_frame", "ag_frame", "tb_frame", "_getframe"})
ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "setattr", "delattr", "hasattr"})
IMPORT_FUNCTIONS = frozenset({"__import__", "builtins.__import__", "importlib.import_module", "importlib.__import__"})
CODE_FUNCTIONS = frozenset({"exec", "eval", "compile"})
# The safety guard's replacements of built-ins and import functions, by the
# dotted name of the function that each replaces.
REPLACED_FUNCTIONS = {}
# Functions of modules that do what a dangerous built-in does, by the
# built-in they stand for.
FUNCTION_TWINS = {"io.open": "open", "_io.open": "open", "codecs.open": "open", "pydoc.pager": "input"}


def _is_dunder(name):
    return len(name) > 4 and name.startswith("__") and name.endswith("__")


class StaticCheck(ast.NodeVisitor):
    """Walks one tree and raises Refusal at the first offending node, in source order."""

    def __init__(self, policy, namespace, tree):
        self.policy = policy
        self.namespace = namespace
        self.built = BuiltStrings(tree) if policy.check_obfuscation else None
        self.aliases = self._collect_aliases(tree)
        # Names that the cell assigns a plain name or attribute chain to
        # (m = numpy.ctypeslib), so that m.ctypes resolves like the chain.
        self.assigned = {
            node.targets[0].id: node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, (ast.Name, ast.Attribute))
        }
        self.resolving = set()
        # __match_args__ names whose value _check_class_field has checked.
        self.checked_match_args = set()

    @staticmethod
    def _collect_aliases(tree):
        """Map each name that an import binds to the dotted name it stands for."""
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        aliases[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        return aliases

    # Helpers.

    def _refuse(self, rule, name, message, node):
        raise Refusal(rule, name, message, getattr(node, "lineno", 0), getattr(node, "col_offset", -1) + 1)

    def qualify(self, node):
        """Return the dotted name that node stands for, or None."""
        if isinstance(node, ast.Name):
            if node.id in self.aliases:
                return self.aliases[node.id]
            if node.id in self.assigned and node.id not in self.resolving:
                self.resolving.add(node.id)
                try:
                    return self.qualify(self.assigned[node.id])
                finally:
                    self.resolving.discard(node.id)
            return self._qualify_value(self.namespace.get(node.id), node.id)
        if isinstance(node, ast.Attribute):
            base = self.qualify(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    @staticmethod
    def _qualify_value(value, name):
        """Return the dotted name of a module or function that an earlier cell bound to name.

        Only the real types are asked, by type() rather than isinstance(),
        so that no __class__ or __getattr__ of the session's objects runs
        during the check.
        """
        kind = type(value)
        if issubclass(kind, types.ModuleType):
            return value.__name__
        if kind is types.MethodType:
            value = value.__func__
            kind = type(value)
        if kind is types.FunctionType and value in REPLACED_FUNCTIONS:
            return REPLACED_FUNCTIONS[value]
        if kind in (types.FunctionType, types.BuiltinFunctionType):
            module = value.__module__
            return value.__qualname__ if module == "builtins" else f"{module}.{value.__qualname__}"
        return name

    def _check_import(self, name, node):
        if self.policy.imports is None:
            return
        if not self.policy.allows_import(name):
            self._refuse(IMPORT, name, f"import of {name!r} is not allowed by authorized_imports", node)

    def _preload(self, name, node):
        """Import an allowed module now, so that attributes of it can be resolved.

        Without this, the check could not distinguish `import shutil; shutil.os` from
        `import numpy; numpy.linalg` in a cell that imports shutil first. The
        import runs only library code of a module that the list allows, and
        that the cell would import anyway. An import that fails is left to
        fail when the cell runs.
        """
        if self.policy.imports is None or name in sys.modules:
            return
        try:
            importlib.import_module(name)
        except Refusal as refusal:
            # The guard's origin check, which has no position in the cell.
            self._refuse(refusal.rule, refusal.name, refusal.message, node)
        except Exception:  # noqa: B902 - the cell reports its own import errors
            pass

    def _check_attribute_name(self, name, node):
        if not self.policy.restricted:
            return
        if _is_dunder(name) and name not in HARMLESS_DUNDERS:
            self._refuse(INTROSPECTION, name, f"access to the attribute {name} is not allowed while imports or functions are restricted", node)
        if name in IMPORT_MACHINERY_ATTRIBUTES or name in FRAME_ATTRIBUTES:
            self._refuse(INTROSPECTION, name, f"access to {name} is not allowed while imports or functions are restricted", node)

    def _check_module_attribute(self, node):
        """Reject obj.attr where obj is a module and attr another module, a function or sys.modules that the lists keep away."""
        base = self.qualify(node.value)
        if base is None:
            return
        if base == "builtins" and not self.policy.allows_function(node.attr):
            self._refuse(FUNCTION, node.attr, f"the built-in {node.attr}() is not allowed by authorized_functions", node)
        twin = FUNCTION_TWINS.get(f"{base}.{node.attr}")
        if twin is not None and not self.policy.allows_function(twin):
            self._refuse(FUNCTION, f"{base}.{node.attr}", f"{base}.{node.attr}() does what {twin}() does, which authorized_functions does not allow", node)
        if base == "sys" and node.attr == "modules" and self.policy.restricted:
            self._refuse(INTROSPECTION, "sys.modules", "access to sys.modules is not allowed while imports or functions are restricted", node)
        module = sys.modules.get(base)
        if self.policy.imports is None or not issubclass(type(module), types.ModuleType):
            return
        target = getattr(module, node.attr, None)
        # A submodule of the module (numpy.linalg, os.path) comes with it,
        # as it does with `from numpy import linalg`. Any other module that
        # a module happens to contain (shutil.os) is checked like an import.
        if issubclass(type(target), types.ModuleType) and sys.modules.get(f"{base}.{node.attr}") is not target:
            self._check_import(target.__name__, node)

    def _check_built(self, argument, sink, node):
        if self.built is not None and self.built.is_built(argument):
            value = fold(argument)
            spelled = f" (it spells {value!r})" if value is not None else ""
            self._refuse(OBFUSCATION, sink, f"a string built at run time is passed to {sink}{spelled}", node)

    def _check_format_string(self, text, node):
        """Reject format fields such as {0.__class__} that reach dunder attributes."""
        try:
            fields = list(string.Formatter().parse(text))
        except ValueError:
            return
        for _literal, field, spec, _conversion in fields:
            if field:
                try:
                    _first, rest = _string.formatter_field_name_split(field)
                    segments = [(is_attribute, key) for is_attribute, key in rest]
                except ValueError:
                    continue
                for is_attribute, key in segments:
                    if is_attribute:
                        self._check_attribute_name(key, node)
            if spec:
                self._check_format_string(spec, node)

    # Visitors.

    def visit_Import(self, node):
        for alias in node.names:
            self._check_import(alias.name, node)
            self._preload(alias.name, node)

    def visit_ImportFrom(self, node):
        if self.policy.imports is not None and node.level:
            self._refuse(IMPORT, "." * node.level + (node.module or ""), "relative imports are not allowed while imports are restricted", node)
        self._check_import(node.module, node)
        self._preload(node.module, node)
        for alias in node.names:
            self._check_module_attribute(ast.copy_location(ast.Attribute(value=ast.Name(id=node.module, ctx=ast.Load()), attr=alias.name, ctx=ast.Load()), node))
            if node.module == "builtins" and not self.policy.allows_function(alias.name):
                self._refuse(FUNCTION, alias.name, f"the built-in {alias.name}() is not allowed by authorized_functions", node)
            if self.policy.restricted and (alias.name in BLOCKED_NAMES or alias.name in IMPORT_MACHINERY_ATTRIBUTES or alias.name == "modules" and node.module == "sys"):
                self._refuse(INTROSPECTION, alias.name, f"importing {alias.name} from {node.module} is not allowed while imports or functions are restricted", node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Store) and node.id == "__match_args__" and id(node) not in self.checked_match_args and self.policy.restricted:
            self._refuse(INTROSPECTION, node.id, "__match_args__ may only be bound by an assignment in a class body while imports or functions are restricted", node)
        if self.policy.restricted and node.id in BLOCKED_NAMES:
            self._refuse(INTROSPECTION, node.id, f"access to {node.id} is not allowed while imports or functions are restricted", node)
        if isinstance(node.ctx, ast.Load) and node.id in DANGEROUS_FUNCTIONS and not self.policy.allows_function(node.id):
            self._refuse(FUNCTION, node.id, f"the built-in {node.id}() is not allowed by authorized_functions", node)

    def visit_Attribute(self, node):
        self.visit(node.value)
        self._check_attribute_name(node.attr, node)
        self._check_module_attribute(node)

    def visit_MatchClass(self, node):
        # case C(attr=p) reads subject.attr with no Attribute node.
        self.visit(node.cls)
        for name in node.kwd_attrs:
            self._check_attribute_name(name, node)
        for pattern in [*node.patterns, *node.kwd_patterns]:
            self.visit(pattern)

    def _check_bound_name(self, name, node):
        """Check a name that a statement binds without a Name node (def, class, except, match capture)."""
        if name is not None and self.policy.restricted and name in BLOCKED_NAMES:
            self._refuse(INTROSPECTION, name, f"access to {name} is not allowed while imports or functions are restricted", node)

    def visit_MatchAs(self, node):
        self._check_bound_name(node.name, node)
        self.generic_visit(node)

    def visit_MatchStar(self, node):
        self._check_bound_name(node.name, node)

    def visit_MatchMapping(self, node):
        self._check_bound_name(node.rest, node)
        self.generic_visit(node)

    def visit_ExceptHandler(self, node):
        self._check_bound_name(node.name, node)
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        self._check_bound_name(node.name, node)
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._check_bound_name(node.name, node)
        for statement in node.body:
            self._check_class_field(statement)
        self.generic_visit(node)

    def visit_arg(self, node):
        self._check_bound_name(node.arg, node)
        self.generic_visit(node)

    def _check_class_field(self, statement):
        """Check the names that class patterns read from instances of a class.

        A positional pattern, case C(x), reads the attribute that
        C.__match_args__ names, and dataclasses fill __match_args__ with
        the names of annotated fields. So both are checked like attribute access.
        """
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            self._check_attribute_name(statement.target.id, statement.target)
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        else:
            return
        names = [target for target in targets if isinstance(target, ast.Name) and target.id == "__match_args__"]
        if names and statement.value is not None:
            self._check_match_args(statement.value, statement)
            self.checked_match_args.update(id(name) for name in names)

    def _check_match_args(self, value, node):
        """Check each attribute name of a __match_args__ value, which must be literal."""
        names = value.elts if isinstance(value, (ast.Tuple, ast.List)) else None
        if names is None or not all(isinstance(name, ast.Constant) and isinstance(name.value, str) for name in names):
            if self.policy.restricted:
                self._refuse(INTROSPECTION, "__match_args__", "__match_args__ that is not a tuple of string literals is not allowed while imports or functions are restricted", node)
            return
        for name in names:
            self._check_attribute_name(name.value, name)

    def visit_Dict(self, node):
        # type("M", (), {"__match_args__": (...)}) builds a class namespace.
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and key.value == "__match_args__":
                self._check_match_args(value, key)
        self.generic_visit(node)

    def visit_Subscript(self, node):
        # namespace["__builtins__"] reaches what __builtins__ does.
        self.generic_visit(node)
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            self._check_name_string(key.value, key)

    def _check_name_string(self, text, node):
        """Check a string that may name an attribute or a global, as in getattr or a namespace lookup."""
        for part in text.split("."):
            if self.policy.restricted and part in BLOCKED_NAMES:
                self._refuse(INTROSPECTION, part, f"access to {part} is not allowed while imports or functions are restricted", node)
            self._check_attribute_name(part, node)

    def visit_Call(self, node):
        self.visit(node.func)
        name = self.qualify(node.func)
        first = node.args[0] if node.args else None
        if name in IMPORT_FUNCTIONS and first is not None:
            self._check_import_call(name, first, node)
        elif name in ATTRIBUTE_FUNCTIONS and len(node.args) >= 2:
            self._check_attribute_call(name, node.args[1], node)
        elif name in CODE_FUNCTIONS and first is not None:
            self._check_built(first, f"{name}()", node)
        elif isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "format_map"):
            receiver = node.func.value
            if isinstance(receiver, ast.Constant) and isinstance(receiver.value, str):
                self._check_format_string(receiver.value, node)
            else:
                self._check_built(receiver, f"str.{node.func.attr}()", node)
        for keyword in node.keywords:
            if keyword.arg == "__match_args__":
                self._check_match_args(keyword.value, keyword)
        for argument in [*node.args, *(keyword.value for keyword in node.keywords)]:
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                self._check_name_string(argument.value, argument)
            self.visit(argument)

    def _check_import_call(self, name, argument, node):
        self._check_built(argument, f"{name}()", node)
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            self._check_import(argument.value, node)
        elif self.policy.imports is not None:
            self._refuse(IMPORT, name, f"{name}() with a module name computed at run time is not allowed while imports are restricted", node)

    def _check_attribute_call(self, name, argument, node):
        self._check_built(argument, f"{name}()", node)
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            self._check_attribute_name(argument.value, node)
            target = node.args[0]
            self._check_module_attribute(ast.copy_location(ast.Attribute(value=target, attr=argument.value, ctx=ast.Load()), node))
        elif self.policy.restricted:
            self._refuse(INTROSPECTION, name, f"{name}() with an attribute name computed at run time is not allowed while imports or functions are restricted", node)


def check_tree(tree, policy, namespace):
    """Raise Refusal when tree breaks a rule of policy; namespace resolves names bound by earlier cells."""
    StaticCheck(policy, namespace, tree).visit(tree)
