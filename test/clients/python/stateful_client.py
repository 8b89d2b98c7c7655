"""Run the stateful example against a Seatbelt server with a Python gRPC client.

The test generates the seatbelt.v1 modules from proto/ with grpcio-tools and
puts them on PYTHONPATH; nothing generated is committed. The script prints
one JSON object that the test compares with what the TypeScript client gets.

Usage: python stateful_client.py HOST:PORT
"""

import json
import sys

import grpc

from seatbelt.v1 import execution_pb2, execution_pb2_grpc, session_pb2, session_pb2_grpc


def run(executions, request, on_event=None):
    """Run one execution, calling on_event for each event, and return its outcome."""
    stdout, stderr, chunks = [], [], []
    result = None
    execution_id = ""
    for response in executions.Execute(request):
        execution_id = response.execution_id
        if on_event is not None:
            on_event(response)
        kind = response.WhichOneof("event")
        if kind == "output":
            text = response.output.text if response.output.HasField("text") else response.output.data.decode()
            if response.output.stream == execution_pb2.OUTPUT_STREAM_STDERR:
                stderr.append(text)
            else:
                stdout.append(text)
                chunks.append(text)
        elif kind == "result":
            result = response.result
    return {
        "execution_id": execution_id,
        "status": execution_pb2.ExecutionStatus.Name(result.status),
        "exit_code": result.exit_code if result.HasField("exit_code") else None,
        "error_name": result.error.name,
        "stdout": "".join(stdout),
        "stdout_chunks": chunks,
        "stderr": "".join(stderr),
    }


def main(address):
    with grpc.insecure_channel(address) as channel:
        sessions = session_pb2_grpc.SessionServiceStub(channel)
        executions = execution_pb2_grpc.ExecutionServiceStub(channel)
        session_id = sessions.CreateSession(session_pb2.CreateSessionRequest()).session.session_id

        def python(code):
            return execution_pb2.ExecuteRequest(session_id=session_id, python=execution_pb2.PythonTask(code=code))

        first = run(executions, python("import numpy as np\ndata = [1, 2, 3, 4, 5]\nprint(np.mean(data), np.std(data))"))
        second = run(executions, python("data = [v + 10 for v in data]\nprint(np.mean(data), np.std(data))"))
        shell = run(executions, execution_pb2.ExecuteRequest(session_id=session_id, shell=execution_pb2.ShellTask(command="echo from-shell >&2; exit 2")))
        error = run(executions, python("1 / 0"))

        # The output arrives while the code still sleeps, and cancelling on
        # that first chunk shows that the stream is live.
        seen_before_cancel = []

        def cancel_on_first_output(response):
            if response.WhichOneof("event") == "output" and not seen_before_cancel:
                seen_before_cancel.append(response.output.text)
                executions.CancelExecution(execution_pb2.CancelExecutionRequest(execution_id=response.execution_id))

        cancelled = run(executions, python("import time\nprint('waiting', flush=True)\ntime.sleep(60)"), cancel_on_first_output)
        after_cancel = run(executions, python("print(data)"))
        deleted = sessions.DeleteSession(session_pb2.DeleteSessionRequest(session_id=session_id)).session

        try:
            sessions.GetSession(session_pb2.GetSessionRequest(session_id=session_id))
            missing_code = "OK"
        except grpc.RpcError as failure:
            missing_code = failure.code().name

    print(
        json.dumps(
            {
                "first": {"status": first["status"], "stdout_chunks": first["stdout_chunks"]},
                "second": {"status": second["status"], "stdout": second["stdout"]},
                "shell": {"status": shell["status"], "exit_code": shell["exit_code"], "stderr": shell["stderr"]},
                "error": {"status": error["status"], "error_name": error["error_name"]},
                "cancel": {"status": cancelled["status"], "seen_before_cancel": "".join(seen_before_cancel)},
                "after_cancel": {"stdout": after_cancel["stdout"]},
                "deleted_state": session_pb2.SessionState.Name(deleted.state),
                "missing_session_code": missing_code,
            },
            indent=None,
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
