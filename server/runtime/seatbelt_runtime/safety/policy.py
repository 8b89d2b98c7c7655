"""What a session's Python safety settings allow."""

# The dangerous built-ins that authorized_functions chooses from; the server
# validates the setting against the same list.
DANGEROUS_FUNCTIONS = frozenset(
    {"exec", "eval", "compile", "__import__", "open", "input", "breakpoint", "globals", "locals", "vars"}
)

# Modules that the interpreter itself imports while running ordinary code
# (time.strptime imports _strptime, and str.encode imports the codec's
# module). They are allowed for such imports even when the list omits them.
RUNTIME_SUPPORT_MODULES = ("_strptime", "encodings")


class Policy:
    """The settings as the server sent them: None allows all of a kind."""

    def __init__(self, settings):
        imports = settings.get("authorizedImports")
        functions = settings.get("authorizedFunctions")
        self.imports = None if imports is None or "*" in imports else frozenset(imports)
        self.functions = None if functions is None or "*" in functions else frozenset(functions)
        self.check_obfuscation = bool(settings.get("checkStringObfuscation"))
        self.restricted = self.imports is not None or self.functions is not None

    def allows_import(self, name):
        """Tell whether the module name may be imported.

        "pkg" allows the name pkg alone and "pkg.*" allows pkg and its
        submodules; the guard lets pkg load its own submodules. A match is by
        whole dotted segments, so "ctypes" never allows "_ctypes".
        """
        if self.imports is None or name in self.imports:
            return True
        parts = name.split(".")
        return any(".".join(parts[:end]) + ".*" in self.imports for end in range(1, len(parts) + 1))

    def allows_function(self, name):
        """Tell whether the dangerous built-in name may be used."""
        return self.functions is None or name not in DANGEROUS_FUNCTIONS or name in self.functions

    @staticmethod
    def is_runtime_support(name):
        return any(name == module or name.startswith(module + ".") for module in RUNTIME_SUPPORT_MODULES)
