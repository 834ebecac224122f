#!/usr/bin/env python3
"""A sample webhook receiver for NBA Trade Tracker alerts (standard library only).

Checks each request's signature and timestamp before trusting it: X-Signature must be
sha256=<hex HMAC-SHA256 of "<X-Timestamp>.<body>"> under the subscription's secret, and
X-Timestamp within five minutes of now (a replayed request is refused). Repeated deliveries
carry the same X-Delivery-Id; a receiver may drop repeats. Prints each accepted alert as one
JSON line (and appends it to --out, if given).

    python3 scripts/sample_receiver.py --port 8787 --secret <the secret from POST /users/me/subscriptions>
"""
import argparse, hashlib, hmac, json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_SKEW_SECONDS = 300
MAX_BODY_BYTES = 64 * 1024


def verify(secret, timestamp, signature, body, now=None):
    """Why the request is refused, or None when it is genuine and fresh."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return "no valid X-Timestamp"
    if abs((now or time.time()) - sent) > MAX_SKEW_SECONDS:
        return "X-Timestamp is too old or in the future"
    expected = "sha256=" + hmac.new(secret.encode(), f"{sent}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature or ""):
        return "bad X-Signature"
    return None


def handler(secret, out):
    seen = set()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self.send_response(413)
                self.end_headers()
                return
            body = self.rfile.read(length)
            why = verify(secret, self.headers.get("X-Timestamp"), self.headers.get("X-Signature"), body)
            if why:
                self.send_response(401)
                self.end_headers()
                self.wfile.write(why.encode())
                return
            delivery = self.headers.get("X-Delivery-Id")
            if delivery not in seen:
                seen.add(delivery)
                line = json.dumps(json.loads(body))
                print(line, flush=True)
                if out:
                    with open(out, "a") as f:
                        f.write(line + "\n")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    return Receiver


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--out", help="also append each accepted alert to this file")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(args.secret, args.out))
    print(f"listening on http://127.0.0.1:{server.server_port}/", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
