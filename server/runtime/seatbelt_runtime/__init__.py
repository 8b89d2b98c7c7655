"""Seatbelt's runtime inside a sandbox.

The package has a distinctive name because its modules share sys.modules
with the session's code, which may well have a module called protocol or
streams of its own.
"""
