"""Landlock, the kernel's access control for unprivileged processes.

The supervisor restricts itself, and so every process that it forks, to the
file-system rules that the server derived from the session's profile. This is
a second layer behind bubblewrap's mounts: a path that the mounts show by
mistake, or show writable by mistake, still cannot be opened beyond what the
profile allows. Landlock rules only grant access, so a denied path inside an
allowed tree rests on its mount mask alone.

See https://docs.kernel.org/userspace-api/landlock.html for the interface.
Run as a script, the module prints the kernel's ABI version as JSON, which
the server reads at start-up.
"""

import ctypes
import errno
import json
import os
import stat
import sys

# The Landlock system calls have the same numbers on every architecture that
# the server supports (x86-64 and arm64 use the generic table).
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39

ACCESS_FS_EXECUTE = 1 << 0
ACCESS_FS_WRITE_FILE = 1 << 1
ACCESS_FS_READ_FILE = 1 << 2
ACCESS_FS_READ_DIR = 1 << 3
ACCESS_FS_REMOVE_DIR = 1 << 4
ACCESS_FS_REMOVE_FILE = 1 << 5
ACCESS_FS_MAKE_CHAR = 1 << 6
ACCESS_FS_MAKE_DIR = 1 << 7
ACCESS_FS_MAKE_REG = 1 << 8
ACCESS_FS_MAKE_SOCK = 1 << 9
ACCESS_FS_MAKE_FIFO = 1 << 10
ACCESS_FS_MAKE_BLOCK = 1 << 11
ACCESS_FS_MAKE_SYM = 1 << 12
ACCESS_FS_REFER = 1 << 13  # ABI 2
ACCESS_FS_TRUNCATE = 1 << 14  # ABI 3
ACCESS_FS_IOCTL_DEV = 1 << 15  # ABI 5
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

READ_RIGHTS = ACCESS_FS_EXECUTE | ACCESS_FS_READ_FILE | ACCESS_FS_READ_DIR
WRITE_RIGHTS_V1 = (
    ACCESS_FS_WRITE_FILE
    | ACCESS_FS_REMOVE_DIR
    | ACCESS_FS_REMOVE_FILE
    | ACCESS_FS_MAKE_CHAR
    | ACCESS_FS_MAKE_DIR
    | ACCESS_FS_MAKE_REG
    | ACCESS_FS_MAKE_SOCK
    | ACCESS_FS_MAKE_FIFO
    | ACCESS_FS_MAKE_BLOCK
    | ACCESS_FS_MAKE_SYM
)
# Rights that the kernel accepts on a rule whose path is a file, not a directory.
FILE_RIGHTS = ACCESS_FS_EXECUTE | ACCESS_FS_WRITE_FILE | ACCESS_FS_READ_FILE | ACCESS_FS_TRUNCATE | ACCESS_FS_IOCTL_DEV


class LandlockError(Exception):
    """Landlock could not be applied as the server requested."""


class RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def get_abi():
    """Return the kernel's Landlock ABI version, and why it is 0 when it is."""
    result = _libc().syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0), ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))
    if result >= 0:
        return result, ""
    code = ctypes.get_errno()
    if code == errno.ENOSYS:
        return 0, "the kernel has no Landlock support (landlock_create_ruleset returned ENOSYS)"
    if code == errno.EOPNOTSUPP:
        return 0, "Landlock is built into the kernel but disabled at boot; add landlock to the lsm= kernel parameter"
    return 0, f"landlock_create_ruleset failed: {os.strerror(code)}"


def get_rights(abi):
    """Return the (read, write) rights that a ruleset of ABI version abi handles.

    Reading a tree also grants executing files in it, because the profile
    decides execution only on macOS. IOCTL_DEV goes with reading, because the
    mounts do not restrict ioctl either, and the sandbox's /dev holds only
    bubblewrap's harmless device nodes.
    """
    read = READ_RIGHTS
    write = WRITE_RIGHTS_V1
    if abi >= 2:
        write |= ACCESS_FS_REFER
    if abi >= 3:
        write |= ACCESS_FS_TRUNCATE
    if abi >= 5:
        read |= ACCESS_FS_IOCTL_DEV
    return read, write


def get_scopes(abi):
    """Return the scopes of a ruleset of ABI version abi.

    Scoped processes cannot signal a process outside their Landlock domain,
    such as the sandbox's init process. Nor can they connect to an abstract
    Unix socket created outside it. A session with network shares the host's
    network namespace, whose abstract sockets (D-Bus, X11, container
    runtimes) would otherwise be reachable. Sockets that the session's own
    processes create stay usable.
    """
    return SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0


def _fail(what):
    code = ctypes.get_errno()
    raise LandlockError(f"{what} failed: {os.strerror(code)} (errno {code})")


def _add_rule(libc, ruleset_fd, path, access, rights):
    """Add one rule. A path that is missing or is a symbolic link gets no rule, which grants nothing."""
    read, write = rights
    try:
        # O_NOFOLLOW: a link in place of a planned path must not redirect the grant.
        fd = os.open(path, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as error:
        raise LandlockError(f"cannot open {path} for a rule: {error.strerror}") from error
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISLNK(mode):
            return
        allowed = read | write if access == "write" else read
        if not stat.S_ISDIR(mode):
            allowed &= FILE_RIGHTS
        attr = PathBeneathAttr(allowed_access=allowed, parent_fd=fd)
        if libc.syscall(ctypes.c_long(SYS_LANDLOCK_ADD_RULE), ctypes.c_int(ruleset_fd), ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(attr), ctypes.c_uint32(0)) != 0:
            _fail(f"landlock_add_rule on {path}")
    finally:
        os.close(fd)


def _require_no_new_privs(libc):
    """Set no_new_privs, which landlock_restrict_self requires, unless bubblewrap has set it already."""
    if libc.prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1:
        return
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        _fail("prctl(PR_SET_NO_NEW_PRIVS)")


def apply_ruleset(request):
    """Restrict this process and its future children to request's rules; return the ABI applied.

    request is the INIT frame's "landlock" value: None, when the server found
    no Landlock, or {"abi": N, "rules": [{"path": ..., "access": "read" | "write"}]}.
    Raises LandlockError when the kernel offers less than ABI N or any step
    fails, so that the sandbox never runs under a weaker layer than the server
    reports.
    """
    if request is None:
        return 0
    abi = request["abi"]
    kernel_abi, reason = get_abi()
    if kernel_abi < abi:
        because = f" ({reason})" if reason else ""
        raise LandlockError(f"the server expects Landlock ABI {abi}, but the kernel offers {kernel_abi}{because}")

    libc = _libc()
    rights = get_rights(abi)
    handled = RulesetAttr(handled_access_fs=rights[0] | rights[1], handled_access_net=0, scoped=get_scopes(abi))
    # Landlock network rules (ABI 4) are left unhandled. A session without
    # network has an empty network namespace, and the Linux backend reads a
    # profile's network rules only as "network or not", so a session with
    # network may use every port.
    size = ctypes.sizeof(RulesetAttr) if abi >= 6 else RulesetAttr.handled_access_net.offset
    ruleset_fd = libc.syscall(ctypes.c_long(SYS_LANDLOCK_CREATE_RULESET), ctypes.byref(handled), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset_fd < 0:
        _fail("landlock_create_ruleset")
    try:
        for rule in request["rules"]:
            _add_rule(libc, ruleset_fd, rule["path"], rule["access"], rights)
        _require_no_new_privs(libc)
        if libc.syscall(ctypes.c_long(SYS_LANDLOCK_RESTRICT_SELF), ctypes.c_int(ruleset_fd), ctypes.c_uint32(0)) != 0:
            _fail("landlock_restrict_self")
    finally:
        os.close(ruleset_fd)
    return abi


if __name__ == "__main__":
    abi, reason = get_abi()
    json.dump({"abi": abi, "reason": reason}, sys.stdout)
