"""The floor: a plain Python child that runs code sent over a pipe.

No sandbox, no RPC, no output capture. Each request is a 4-byte big-endian
length and UTF-8 code; each reply is a 4-byte length and the repr of the
code's value when the code is an expression, else an empty reply.
"""

import struct
import sys

HEADER = struct.Struct(">I")


def read_exact(stream, size):
    data = stream.read(size)
    if len(data) < size:
        raise SystemExit(0)
    return data


def main():
    requests = sys.stdin.buffer
    replies = sys.stdout.buffer
    namespace = {"__name__": "__main__"}
    while True:
        (length,) = HEADER.unpack(read_exact(requests, HEADER.size))
        code = read_exact(requests, length).decode()
        try:
            reply = repr(eval(compile(code, "<cell>", "eval"), namespace))
        except SyntaxError:
            exec(compile(code, "<cell>", "exec"), namespace)
            reply = ""
        body = reply.encode()
        replies.write(HEADER.pack(len(body)) + body)
        replies.flush()


if __name__ == "__main__":
    main()
