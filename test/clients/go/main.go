// Command stateful-client runs the stateful example against a Seatbelt
// server with a Go gRPC client. The test generates the seatbeltv1 package
// from proto/ with protoc-gen-go and protoc-gen-go-grpc; nothing generated is
// committed. It prints one JSON object that the test compares with what the
// TypeScript client gets.
//
// Usage: stateful-client HOST:PORT
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	seatbeltv1 "seatbelt.test/goclient/seatbeltv1"
)

type outcome struct {
	Status       string
	ExitCode     *int32
	ErrorName    string
	Stdout       string
	StdoutChunks []string
	Stderr       string
}

// run executes one request, calling onEvent for each event, and collects its outcome.
func run(ctx context.Context, client seatbeltv1.ExecutionServiceClient, request *seatbeltv1.ExecuteRequest, onEvent func(*seatbeltv1.ExecuteResponse)) (outcome, error) {
	stream, err := client.Execute(ctx, request)
	if err != nil {
		return outcome{}, err
	}
	var result outcome
	var stdout, stderr strings.Builder
	for {
		response, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return outcome{}, err
		}
		if onEvent != nil {
			onEvent(response)
		}
		if chunk := response.GetOutput(); chunk != nil {
			text := chunk.GetText()
			if chunk.GetData() != nil {
				text = string(chunk.GetData())
			}
			if chunk.GetStream() == seatbeltv1.OutputStream_OUTPUT_STREAM_STDERR {
				stderr.WriteString(text)
			} else {
				stdout.WriteString(text)
				result.StdoutChunks = append(result.StdoutChunks, text)
			}
		}
		if final := response.GetResult(); final != nil {
			result.Status = final.GetStatus().String()
			if final.ExitCode != nil {
				code := final.GetExitCode()
				result.ExitCode = &code
			}
			result.ErrorName = final.GetError().GetName()
		}
	}
	result.Stdout = stdout.String()
	result.Stderr = stderr.String()
	return result, nil
}

func main() {
	if err := runExample(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func runExample(address string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	sessions := seatbeltv1.NewSessionServiceClient(conn)
	executions := seatbeltv1.NewExecutionServiceClient(conn)

	created, err := sessions.CreateSession(ctx, &seatbeltv1.CreateSessionRequest{})
	if err != nil {
		return err
	}
	sessionID := created.GetSession().GetSessionId()
	python := func(code string) *seatbeltv1.ExecuteRequest {
		return &seatbeltv1.ExecuteRequest{SessionId: sessionID, Task: &seatbeltv1.ExecuteRequest_Python{Python: &seatbeltv1.PythonTask{Code: code}}}
	}

	first, err := run(ctx, executions, python("import numpy as np\ndata = [1, 2, 3, 4, 5]\nprint(np.mean(data), np.std(data))"), nil)
	if err != nil {
		return err
	}
	second, err := run(ctx, executions, python("data = [v + 10 for v in data]\nprint(np.mean(data), np.std(data))"), nil)
	if err != nil {
		return err
	}
	shellRequest := &seatbeltv1.ExecuteRequest{SessionId: sessionID, Task: &seatbeltv1.ExecuteRequest_Shell{Shell: &seatbeltv1.ShellTask{Command: "echo from-shell >&2; exit 2"}}}
	shell, err := run(ctx, executions, shellRequest, nil)
	if err != nil {
		return err
	}
	failed, err := run(ctx, executions, python("1 / 0"), nil)
	if err != nil {
		return err
	}

	// The output arrives while the code still sleeps, and cancelling on that
	// first chunk shows that the stream is live.
	var seenBeforeCancel string
	var cancelErr error
	cancelOnFirstOutput := func(response *seatbeltv1.ExecuteResponse) {
		if response.GetOutput() != nil && seenBeforeCancel == "" {
			seenBeforeCancel = response.GetOutput().GetText()
			_, cancelErr = executions.CancelExecution(ctx, &seatbeltv1.CancelExecutionRequest{ExecutionId: response.GetExecutionId()})
		}
	}
	cancelled, err := run(ctx, executions, python("import time\nprint('waiting', flush=True)\ntime.sleep(60)"), cancelOnFirstOutput)
	if err != nil {
		return err
	}
	if cancelErr != nil {
		return cancelErr
	}
	afterCancel, err := run(ctx, executions, python("print(data)"), nil)
	if err != nil {
		return err
	}
	deleted, err := sessions.DeleteSession(ctx, &seatbeltv1.DeleteSessionRequest{SessionId: sessionID})
	if err != nil {
		return err
	}
	missingCode := "OK"
	if _, err := sessions.GetSession(ctx, &seatbeltv1.GetSessionRequest{SessionId: sessionID}); err != nil {
		missingCode = strings.ToUpper(toSnake(status.Code(err).String()))
	}

	summary := map[string]any{
		"first":                map[string]any{"status": first.Status, "stdout_chunks": first.StdoutChunks},
		"second":               map[string]any{"status": second.Status, "stdout": second.Stdout},
		"shell":                map[string]any{"status": shell.Status, "exit_code": shell.ExitCode, "stderr": shell.Stderr},
		"error":                map[string]any{"status": failed.Status, "error_name": failed.ErrorName},
		"cancel":               map[string]any{"status": cancelled.Status, "seen_before_cancel": seenBeforeCancel},
		"after_cancel":         map[string]any{"stdout": afterCancel.Stdout},
		"deleted_state":        deleted.GetSession().GetState().String(),
		"missing_session_code": missingCode,
	}
	return json.NewEncoder(os.Stdout).Encode(summary)
}

// toSnake turns a gRPC code name such as NotFound into not_found, the
// spelling of the other clients.
func toSnake(name string) string {
	var out strings.Builder
	for i, r := range name {
		if i > 0 && r >= 'A' && r <= 'Z' {
			out.WriteByte('_')
		}
		out.WriteRune(r)
	}
	return strings.ToLower(out.String())
}
