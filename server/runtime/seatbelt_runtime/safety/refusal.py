"""The exception that a failed safety check raises, and its reply."""

IMPORT = "import"
FUNCTION = "function"
INTROSPECTION = "introspection"
OBFUSCATION = "obfuscation"


class Refusal(BaseException):
    """A safety check rejected the code.

    It derives from BaseException, like KeyboardInterrupt, so that the usual
    `except Exception` in the session's code does not swallow it. The guard
    also records every runtime refusal, so a refused cell is reported as
    rejected even when its code catches this exception.
    """

    def __init__(self, rule, name, message, line=0, column=0):
        super().__init__(message)
        self.rule = rule
        self.name = name
        self.message = message
        self.line = line
        self.column = column

    def reply(self):
        """Return the result that the supervisor sends for a rejected cell."""
        location = f" (line {self.line}, column {self.column})" if self.line else ""
        return {
            "status": "rejected",
            "message": f"rejected by the safety settings: {self.message}{location}",
            "refusal": {"rule": self.rule, "name": self.name[:1024], "line": self.line, "column": self.column},
        }
