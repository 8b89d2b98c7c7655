"""Recognise strings that code builds at run time instead of writing out.

A string built with chr, +, %, join, an f-string, slicing, bytes.decode or a
base64 or codecs decoder can spell a module, attribute or statement that a
plain search of the code would not find. The static check refuses such
strings where they reach an import, an attribute lookup or a function that
runs code.
"""

import ast
import base64
import binascii
import codecs

# Methods whose result is a string made from other data.
BUILDING_METHODS = frozenset(
    {
        "join", "decode", "fromhex", "format", "format_map", "replace", "translate", "swapcase",
        "b64decode", "standard_b64decode", "urlsafe_b64decode", "b32decode", "b16decode", "b85decode",
        "a85decode", "decodebytes", "unhexlify", "a2b_base64", "a2b_hex", "a2b_uu", "rot13",
    }
)
# Functions whose result is a string made from other data.
BUILDING_FUNCTIONS = frozenset({"chr", "bytes", "bytearray", "str"})

_DECODERS = {
    "b64decode": base64.b64decode,
    "standard_b64decode": base64.standard_b64decode,
    "urlsafe_b64decode": base64.urlsafe_b64decode,
    "b32decode": base64.b32decode,
    "b16decode": base64.b16decode,
    "unhexlify": binascii.unhexlify,
    "a2b_base64": binascii.a2b_base64,
}


def _is_text_constant(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))


class BuiltStrings:
    """Finds built strings in one syntax tree, following simple assignments."""

    def __init__(self, tree):
        self.names = set()
        assignments = [node for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr))]
        # Two passes follow a chain such as a = chr(111); b = a + "s".
        for _ in range(2):
            for node in assignments:
                if node.value is not None and self.is_built(node.value):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    self.names.update(target.id for target in targets if isinstance(target, ast.Name))

    def is_built(self, node):
        """Tell whether node evaluates to a string built at run time."""
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, ast.JoinedStr):
            return any(isinstance(value, ast.FormattedValue) for value in node.values)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod, ast.Mult)):
            return any(_is_text_constant(side) or self.is_built(side) for side in (node.left, node.right))
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            return _is_text_constant(node.value) or self.is_built(node.value)
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Name):
                return function.id in BUILDING_FUNCTIONS
            if isinstance(function, ast.Attribute):
                return function.attr in BUILDING_METHODS or self.is_built(function.value)
        return False


def fold(node):
    """Return the text that a built string evaluates to, when constants alone decide it."""
    try:
        value = _fold(node)
    except (ValueError, TypeError, LookupError, binascii.Error, OverflowError):
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def _fold(node):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_fold(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _fold(node.left) + _fold(node.right)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        bounds = [None if part is None else _fold(part) for part in (node.slice.lower, node.slice.upper, node.slice.step)]
        return _fold(node.value)[slice(*bounds)]
    if not isinstance(node, ast.Call):
        raise ValueError("not foldable")
    function = node.func
    if isinstance(function, ast.Attribute) and function.attr == "join" and isinstance(node.args[0], (ast.List, ast.Tuple)):
        return _fold(function.value).join(_fold(item) for item in node.args[0].elts)
    arguments = [_fold(argument) for argument in node.args]
    if isinstance(function, ast.Name) and function.id == "chr":
        return chr(*arguments)
    if not isinstance(function, ast.Attribute):
        raise ValueError("not foldable")
    if function.attr == "decode":
        # codecs.decode(data, encoding) or data.decode(encoding).
        if isinstance(function.value, (ast.Name, ast.Attribute)):
            return codecs.decode(*arguments)
        return _fold(function.value).decode(*arguments)
    if function.attr in _DECODERS:
        return _DECODERS[function.attr](*arguments)
    raise ValueError("not foldable")
