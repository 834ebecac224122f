#!/usr/bin/env python3
"""Reads `tracker serve`'s feeds with independent consumers: feedparser (Atom) and jsonfeed-util
(JSON Feed; the released feedparser reads no JSON Feed).

Starts `tracker serve` on the sample feeds (a fresh data folder, a free port), waits for its
first ingest, then checks that /news.atom and /news.json parse cleanly and carry exactly the items
of /news with the same filters (titles, links, dates, category and team tags), and that a
reader's conditional GET is answered 304. Exits non-zero on the first failure.
Usage: consume.py [path/to/tracker]
"""
import calendar
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import feedparser
import jsonfeed

ROOT = Path(__file__).resolve().parents[2]
BIN = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target/debug/tracker")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def main():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = tempfile.mkdtemp(prefix="tracker-feeds-out-")
    server = subprocess.Popen([BIN, "serve", "--port", str(port), "--feeds", "samples/feeds.json", "--data-dir", data],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while True:
            try:
                if json.loads(fetch(f"{base}/news/stats")[2])["total"] == 28:
                    break
            except (OSError, ValueError, KeyError):
                pass
            assert time.time() < deadline, "tracker serve did not finish its first ingest"
            time.sleep(0.2)

        for query in ["limit=100", "category=Trade&limit=100", "team=MIA&limit=100"]:
            listing = json.loads(fetch(f"{base}/news?{query}")[2])["items"]
            assert listing, query

            status, headers, body = fetch(f"{base}/news.atom?{query}")
            assert status == 200, (query, status)
            atom = feedparser.parse(body)
            assert not atom.bozo, (query, atom.bozo_exception)
            assert atom.version == "atom10", atom.version
            assert [e.title for e in atom.entries] == [i["title"] for i in listing], query
            for entry, item in zip(atom.entries, listing):
                assert entry.get("link") == item["link"], (entry.get("link"), item["link"])
                assert entry.author == item["source"]
                if item["published_at"]:
                    assert calendar.timegm(entry.published_parsed) == epoch(item["published_at"]), entry.title
                tags = [t.term for t in entry.tags]
                assert tags == [item["category"], *item["teams"]], (tags, item["teams"])
                assert entry.summary == item["summary"], entry.title

            status, headers, _ = fetch(f"{base}/news.atom?{query}", {"If-None-Match": headers["etag"]})
            assert status == 304, (query, status)

            status, headers, body = fetch(f"{base}/news.json?{query}")
            assert status == 200 and headers["content-type"] == "application/feed+json", (status, headers)
            raw = json.loads(body)
            assert raw["version"] == "https://jsonfeed.org/version/1.1", raw["version"]
            feed = jsonfeed.Feed.parse(raw)
            assert [e.title for e in feed.items] == [i["title"] for i in listing], query
            assert [e.url for e in feed.items] == [i["link"] for i in listing], query
            for entry, item in zip(feed.items, listing):
                assert entry.content_text or entry.content_html, entry.id
                assert entry.tags == [item["category"], *item["teams"]], entry.tags
                assert [a.name for a in entry.authors] == [item["source"]]
                if item["published_at"]:
                    assert epoch(entry.date_published) == epoch(item["published_at"]), entry.title
            modified = headers["last-modified"]
            status, _, _ = fetch(f"{base}/news.json?{query}", {"If-Modified-Since": modified})
            assert status == 304, (query, status)
        print("feeds out: feedparser reads /news.atom and jsonfeed-util /news.json as /news lists them; revalidations get 304")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
