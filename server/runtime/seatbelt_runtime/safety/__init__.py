"""Code checks that a session's safety settings turn on.

The interpreter imports this package only for a session with Python safety
settings, so a session without them pays nothing for it. See policy.py for
what each setting allows, static_check.py for the checks that run on a
cell's syntax tree before any of its code runs, and guard.py for the checks
that run while the code runs.

These checks reject the known ways around the two lists, but they are not a
security boundary: the operating-system sandbox is.
"""
