#!/usr/bin/env python3
"""A minimal Lambda Runtime API stand-in for measuring a function binary's start-up cost.

Usage: runtime_standin.py BINARY EVENT_FILE [RUNS] [--markdown]

For each run it starts BINARY with AWS_LAMBDA_RUNTIME_API pointing here, and records the time
from exec to the runtime's first `GET /2018-06-01/runtime/invocation/next` (init done), and to
its `POST .../response` for EVENT_FILE (first event answered). Prints one JSON object with the
medians and p90s in milliseconds (or, with --markdown, one table row). Loopback only; the
process is killed after each run.
"""
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BINARY, EVENT = sys.argv[1], open(sys.argv[2], "rb").read()
RUNS = int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3].isdigit() else 20
MARKDOWN = "--markdown" in sys.argv


class State:
    error = None
    start = 0.0
    first_next = None
    answered = None
    served = False
    done = threading.Event()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if not self.path.endswith("/invocation/next"):
            self.send_error(404)
            return
        now = time.perf_counter()
        if State.first_next is None:
            State.first_next = now
        if State.served:  # the second /next: block until the run is over
            State.done.wait(5)
            self.send_error(503)
            return
        State.served = True
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(EVENT)))
        self.end_headers()
        self.wfile.write(EVENT)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        if "/response" in self.path or "/error" in self.path:
            State.answered = (time.perf_counter(), "/error" not in self.path)
            if "/error" in self.path:
                State.error = body.decode("utf-8", "replace")[:300]
            State.done.set()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the held second /next dies with the killed process; that is expected


def one_run():
    """One exec of the binary against its own server, so a killed process's late requests
    can never reach the next run."""
    State.first_next, State.answered, State.served = None, None, False
    State.done.clear()
    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ,
               AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
               AWS_LAMBDA_FUNCTION_NAME="bench", AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256",
               AWS_LAMBDA_FUNCTION_VERSION="$LATEST", AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/bench",
               AWS_LAMBDA_LOG_STREAM_NAME="bench", AWS_REGION=os.environ.get("AWS_REGION", "us-east-1"))
    State.start = time.perf_counter()
    proc = subprocess.Popen([BINARY], env=env, stdout=subprocess.DEVNULL,
                            stderr=None if os.environ.get("STANDIN_STDERR") else subprocess.DEVNULL)
    State.done.wait(30)
    proc.kill()
    proc.wait()
    server.shutdown()
    server.server_close()


inits, firsts, ok = [], [], True
for _ in range(RUNS):
    one_run()
    if State.first_next is None or State.answered is None:
        ok = False
        continue
    inits.append((State.first_next - State.start) * 1000)
    firsts.append((State.answered[0] - State.start) * 1000)
    ok = ok and State.answered[1]

pct = lambda xs, q: sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] if xs else None
result = {
    "binary": os.path.basename(BINARY), "runs": len(inits), "answered_ok": ok,
    "init_ms_p50": round(statistics.median(inits), 2) if inits else None, "init_ms_p90": round(pct(inits, 0.9), 2) if inits else None,
    "first_event_ms_p50": round(statistics.median(firsts), 2) if firsts else None, "first_event_ms_p90": round(pct(firsts, 0.9), 2) if firsts else None,
    "error": State.error,
}
if MARKDOWN:
    r = result
    print(f"| {r['binary']} | {sys.argv[2]} | {r['init_ms_p50']} | {r['init_ms_p90']} | {r['first_event_ms_p50']} | {r['first_event_ms_p90']} | {r['answered_ok']} |")
else:
    print(json.dumps(result))
