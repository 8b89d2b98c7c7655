"""Frame format between the Seatbelt server and the supervisor in the sandbox.

Every frame is a 9-byte header, then the payload: payload length (uint32,
big-endian), frame type (uint8), execution number (uint32, 0 when the frame
belongs to no execution). The server's side lives in
server/src/sandbox/frames.ts and must stay in step with this file.
"""

import json
import os
import struct

HEADER = struct.Struct(">IBI")

# Server to supervisor.
INIT = 1  # JSON: the session's environment, sent once before anything else.
EXEC = 2  # JSON: one task to run.
SIGNAL = 3  # JSON: {"action": "interrupt" | "terminate" | "kill"}.
INPUT = 4  # Raw bytes for the execution's stdin.
CLOSE_INPUT = 5  # Empty: close the execution's stdin after the input before it.

# Supervisor to server.
READY = 10  # JSON: interpreter version and process ids, once started.
STDOUT = 11  # Raw bytes that the execution wrote to its stdout.
STDERR = 12  # Raw bytes that the execution wrote to its stderr.
RESULT = 13  # JSON: the outcome of the execution, after all of its output.
LATE_OUTPUT = 14  # JSON: bytes discarded because their execution had ended.
RESTARTED = 15  # JSON: the idle interpreter ended and was replaced.
DIAGNOSTIC = 16  # Text: a message for the server's log.

MAX_PAYLOAD_BYTES = 64 * 1024 * 1024


def encode(frame_type, execution, payload=b""):
    """Return one frame as bytes."""
    return HEADER.pack(len(payload), frame_type, execution) + payload


def encode_json(frame_type, execution, value):
    """Return one frame whose payload is value as JSON."""
    return encode(frame_type, execution, json.dumps(value).encode())


def write_all(fd, data):
    """Write every byte of data to a blocking file descriptor."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_frame(fd, frame_type, execution, payload=b""):
    """Write one frame to a blocking file descriptor without copying the payload."""
    header = HEADER.pack(len(payload), frame_type, execution)
    written = os.writev(fd, [header, payload])
    if written < len(header):
        write_all(fd, header[written:])
        written = len(header)
    if written < len(header) + len(payload):
        write_all(fd, memoryview(payload)[written - len(header) :])


class FrameReader:
    """Splits a byte stream into (type, execution, payload) frames."""

    def __init__(self):
        self._buffer = bytearray()

    def feed(self, data):
        """Add bytes and return the frames they complete."""
        self._buffer += data
        frames = []
        while len(self._buffer) >= HEADER.size:
            length, frame_type, execution = HEADER.unpack_from(self._buffer)
            if length > MAX_PAYLOAD_BYTES:
                raise ValueError(f"frame of {length} bytes exceeds {MAX_PAYLOAD_BYTES}")
            end = HEADER.size + length
            if len(self._buffer) < end:
                break
            frames.append((frame_type, execution, bytes(self._buffer[HEADER.size:end])))
            del self._buffer[:end]
        return frames
