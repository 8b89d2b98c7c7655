"""The first process of a session's sandbox: runs tasks and relays their output.

The server sends frames on file descriptor 3 and reads frames from file
descriptor 4 (see seatbelt_runtime/protocol.py). The work happens in the
seatbelt_runtime package: supervisor_loop.py runs the event loop, and
execution.py explains why every execution gets pipes of its own.
"""

import sys

# sys.path[0] is this script's folder, from which the package imports. The
# interpreter replaces that entry with the working directory, as `python -c`
# has it, so the session's code does not see the runtime's folder.
from seatbelt_runtime import channel, landlock, limits, protocol  # noqa: E402
from seatbelt_runtime.execution import enlarge_pipe  # noqa: E402
from seatbelt_runtime.processes import set_dumpable  # noqa: E402
from seatbelt_runtime.supervisor_loop import Supervisor  # noqa: E402


def main():
    channel.close_inherited_fds()
    enlarge_pipe(channel.EVENTS_OUT_FD)
    set_dumpable(False)
    init = channel.read_init()
    limits.apply_rlimits(init.get("rlimits", {}))
    # Before the interpreter is forked, so no code of the session ever runs
    # outside the Landlock domain; a failure ends the sandbox with its reason.
    try:
        landlock_abi = landlock.apply_ruleset(init.get("landlock"))
    except landlock.LandlockError as error:
        raise SystemExit(f"seatbelt supervisor: cannot apply Landlock: {error}") from error
    supervisor = Supervisor(init["environment"], init.get("pythonSafety"))
    supervisor.start_interpreter()
    version = ".".join(str(part) for part in sys.version_info[:3])
    channel.send_json(protocol.READY, 0, {"pythonVersion": version, "interpreterPid": supervisor.interpreter.pid, "landlockAbi": landlock_abi})
    supervisor.run()


if __name__ == "__main__":
    main()
