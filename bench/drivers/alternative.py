"""Runs the benchmark's workloads on one alternative to Seatbelt.

The benchmark starts this program in the throw-away virtual environment and
sends one JSON request per line on stdin; each reply is one JSON line on
stdout. Times are taken here, around the alternative's own client calls, as
the TypeScript side times Seatbelt around its client calls.

Systems:
- "jupyter": a local IPython kernel through jupyter_client's blocking client.
- "tinyagent": tinyagent-py's BubblewrapProvider.execute_python, which starts
  a fresh bubblewrap sandbox per call and carries the variables from call to
  call with cloudpickle.
"""

import asyncio
import json
import os
import sys
import time

# litellm, which tinyagent imports, fetches a price list from the network
# at import time unless told to use its local copy.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

THROUGHPUT_CODE = "import sys\nblock = 'x' * (1 << 20)\nfor _ in range({blocks}):\n    sys.stdout.write(block)\nsys.stdout.flush()"
# tinyagent's safety check rejects `import sys`, so its output goes through print.
PRINT_THROUGHPUT_CODE = "block = 'x' * (1 << 20)\nfor _ in range({blocks}):\n    print(block, end='')"


def now_ms():
    return time.perf_counter() * 1000


class Jupyter:
    """One IPython kernel, started with jupyter_client."""

    def __init__(self):
        self.manager = None
        self.client = None

    def open(self):
        from jupyter_client.manager import start_new_kernel

        self.manager, self.client = start_new_kernel(kernel_name="python3", stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
        return {"pid": self.manager.provisioner.process.pid}

    def close(self):
        if self.client is not None:
            self.client.stop_channels()
            self.manager.shutdown_kernel(now=True)
            self.client = None

    def run(self, code, on_output=None):
        """Execute code and wait until the kernel is idle again; returns stdout bytes received."""
        msg_id = self.client.execute(code, store_history=False)
        received = 0
        while True:
            message = self.client.get_iopub_msg(timeout=600)
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "stream":
                received += len(message["content"]["text"])
                if on_output is not None:
                    on_output()
            elif kind == "error":
                raise RuntimeError("\n".join(message["content"]["traceback"]))
            elif kind == "status" and message["content"]["execution_state"] == "idle":
                break
        self.client.get_shell_msg(timeout=600)
        return received

    def start_once(self):
        from jupyter_client.manager import start_new_kernel

        start = now_ms()
        manager, client = start_new_kernel(kernel_name="python3", stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
        reply = client.execute_interactive("1", timeout=600, output_hook=lambda message: None)
        elapsed = now_ms() - start
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"kernel replied {reply['content']['status']}")
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        return elapsed


class TinyAgent:
    """tinyagent-py's bubblewrap provider, called as its agent calls it."""

    def __init__(self):
        self.provider = None
        self.loop = asyncio.new_event_loop()

    def _new_provider(self):
        from tinyagent.code_agent.providers.bubblewrap_provider import BubblewrapProvider

        # Each call imports tinyagent, and so litellm, inside a sandbox
        # without network, where fetching the price list can only fail
        # after retries. The provider's own environment setting keeps
        # litellm on its local copy, the fastest way to run it.
        return BubblewrapProvider(environment_variables={"LITELLM_LOCAL_MODEL_COST_MAP": "True"})

    def open(self):
        self.provider = self._new_provider()
        return {}

    def close(self):
        if self.provider is not None:
            self.loop.run_until_complete(self.provider.cleanup())
            self.provider = None

    def run(self, code, on_output=None):
        result = self.loop.run_until_complete(self.provider.execute_python([code]))
        if result.get("error_traceback"):
            raise RuntimeError(result["error_traceback"])
        output = result.get("printed_output") or ""
        if output and on_output is not None:
            on_output()
        return len(output)

    def start_once(self):
        start = now_ms()
        provider = self._new_provider()
        result = self.loop.run_until_complete(provider.execute_python(["1"]))
        elapsed = now_ms() - start
        self.loop.run_until_complete(provider.cleanup())
        if result.get("error_traceback"):
            raise RuntimeError(result["error_traceback"])
        return elapsed


def handle(system, request):
    op = request["op"]
    if op == "open":
        return system.open()
    if op == "close":
        system.close()
        return {}
    if op == "run":
        samples = []
        for _ in range(request["count"]):
            start = now_ms()
            system.run(request["code"])
            samples.append(now_ms() - start)
        return {"ms": samples}
    if op == "start":
        return {"ms": [system.start_once() for _ in range(request["count"])]}
    if op == "first_chunk":
        samples = []
        for _ in range(request["count"]):
            start = now_ms()
            first = []
            system.run('print("a")', on_output=lambda: first or first.append(now_ms() - start))
            samples.append(first[0])
        return {"ms": samples}
    if op == "throughput":
        blocks = request["megabytes"]
        start = now_ms()
        code = PRINT_THROUGHPUT_CODE if isinstance(system, TinyAgent) else THROUGHPUT_CODE
        received = system.run(code.format(blocks=blocks))
        return {"ms": now_ms() - start, "bytes": received}
    raise ValueError(f"unknown op {op!r}")


def main():
    systems = {"jupyter": Jupyter, "tinyagent": TinyAgent}
    system = systems[sys.argv[1]]()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            reply = handle(system, request)
        except Exception as error:  # noqa: BLE001 - reported to the benchmark, which fails the row
            reply = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(reply), flush=True)
    system.close()


if __name__ == "__main__":
    main()
