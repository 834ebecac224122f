"""Loopback helpers for the Python harnesses (cold-start bench, deploy test, sam local): a free
port, waiting for a listener, and a function binary under AWS's Lambda Runtime Interface
Emulator (aws-lambda-rie, shipped in the aws-sam-cli wheel)."""
import json
import socket
import subprocess
import tempfile
import time
import urllib.request


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, tries=400, pause=0.025):
    """True once something accepts connections on 127.0.0.1:port, False after `tries` attempts."""
    for _ in range(tries):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(pause)
    return False


class Emulator:
    """BINARY as a Lambda function under aws-lambda-rie on a free loopback port, with `env` (None:
    this process's environment). Its output (the emulator's reports and the function's logs) is
    kept for `logs()`. Use as a context manager; the emulator stops on exit."""

    def __init__(self, rie, binary, env=None):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [str(rie), "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}", str(binary)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_listening(self.port):
            logs = self.logs()
            self.close()
            raise RuntimeError(f"the emulator did not listen:\n{logs}")

    def invoke(self, event):
        """The function's JSON answer to one event (bytes)."""
        url = f"http://127.0.0.1:{self.port}/2015-03-31/functions/function/invocations"
        return json.loads(urllib.request.urlopen(urllib.request.Request(url, data=event), timeout=60).read())

    def logs(self):
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
