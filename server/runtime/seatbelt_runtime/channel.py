"""The supervisor's frame channel to the server, on file descriptors 3 and 4.

The server sends frames on CONTROL_IN_FD and reads the supervisor's frames
from EVENTS_OUT_FD (see protocol.py). Writes block: a frame is written
whole or the supervisor waits, so frames never interleave.
"""

import json
import os

from seatbelt_runtime import protocol

CONTROL_IN_FD = 3
EVENTS_OUT_FD = 4
READ_CHUNK_BYTES = 64 * 1024


def send(frame_type, execution, payload=b""):
    """Send one frame with a raw payload to the server."""
    protocol.write_frame(EVENTS_OUT_FD, frame_type, execution, payload)


def send_json(frame_type, execution, value):
    """Send one frame whose payload is value as JSON to the server."""
    protocol.write_all(EVENTS_OUT_FD, protocol.encode_json(frame_type, execution, value))


def read_init():
    """Wait for the INIT frame and return its payload; exit when the server hangs up first."""
    frames = protocol.FrameReader()
    while True:
        data = os.read(CONTROL_IN_FD, READ_CHUNK_BYTES)
        if not data:
            raise SystemExit(0)
        for frame_type, _execution, payload in frames.feed(data):
            if frame_type != protocol.INIT:
                raise SystemExit(f"expected INIT frame, got type {frame_type}")
            return json.loads(payload)


def close_inherited_fds():
    """Close every file descriptor that the server's process passed down.

    bubblewrap hands its child every descriptor without close-on-exec, such as
    one the server inherited from the shell that started it. Only 0 to 4 are
    the sandbox's own.
    """
    os.closerange(EVENTS_OUT_FD + 1, os.sysconf("SC_OPEN_MAX"))
