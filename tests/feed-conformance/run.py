"""The parser against feedparser 6.0.11's own test suite, held to a list of known differences.

feedparser's sdist (from PyPI, pinned by hash) carries ~2,300 test documents, each with the
expression feedparser must satisfy (`Expect: not bozo and feed['title'] == '...'`), and a table of
date cases. Three checks read them through `tracker parse FILE`:

- well-formedness: a document feedparser reads without complaint (`not bozo`) must parse, and an
  ill-formed one (`bozo`) must be refused;
- dates: each date case, in an RSS pubDate, gives the same UTC time, or none when feedparser
  gives none;
- values: where the expectation reads only what the parser keeps (feed title and link; entry
  title, link, id, summary, publication time), it holds, comparing text as plain text (the
  parser keeps no markup: feedparser's sanitised `<b>x</b>` is `x` here).

Every case must agree unless `known-differences.txt` names it (with why); a named case that now
agrees fails too, so the list stays true. Usage: run.py [--list] (TRACKER_BIN, default
target/debug/tracker).
"""

import datetime
import hashlib
import html
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

VERSION = "6.0.11"
SHA256 = "c9d0407b64c6f2a065d0ebb292c2b35c01050cc0dc33757461aaabdc4c4184d5"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TRACKER = os.environ.get("TRACKER_BIN", str(ROOT / "target/debug/tracker"))
TOOLS = Path(os.environ.get("TRACKER_TOOLS_DIR", ROOT / ".tools"))


def suite() -> Path:
    """feedparser's tests/ directory, downloaded and checked once."""
    target = TOOLS / f"feedparser-{VERSION}"
    if (target / "tests").is_dir():
        return target / "tests"
    TOOLS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--no-binary", ":all:", f"feedparser=={VERSION}", "--dest", tmp],
            check=True,
        )
        sdist = Path(tmp) / f"feedparser-{VERSION}.tar.gz"
        digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
        if digest != SHA256:
            sys.exit(f"feedparser sdist sha256 {digest}, expected {SHA256}")
        with tarfile.open(sdist) as tar:
            # The "data" filter (no links out, no absolute paths) where this Python has it.
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(TOOLS, **safe)
    return target / "tests"


def parse(path: Path):
    """The parser's JSON for a file, or None when it refuses it."""
    done = subprocess.run([TRACKER, "parse", str(path)], capture_output=True, check=False)
    if done.returncode == 0:
        return json.loads(done.stdout)
    if done.returncode == 1 and done.stderr:
        return None
    sys.exit(f"tracker parse {path} crashed ({done.returncode}): {done.stderr.decode()[:300]}")


def expectation(path: Path):
    head = path.read_bytes()[:4096].decode("latin-1")
    found = re.search(r"Expect:\s*(.*)", head)
    return found.group(1).strip() if found else None


class Unmodelled(Exception):
    """The expectation reads something the parser does not keep."""


class Fields(dict):
    def __getitem__(self, key):
        if key not in self:
            raise Unmodelled(key)
        return dict.__getitem__(self, key)

    def __getattr__(self, key):
        return self[key]

    def get(self, key, default=None):
        return self[key]


class Entries(list):
    def __getitem__(self, index):
        try:
            return list.__getitem__(self, index)
        except IndexError as missing:
            raise Unmodelled("entry") from missing


def plain(markup: str) -> str:
    """feedparser's (sanitised) HTML as the plain text the parser keeps."""
    markup = re.sub(r"<(script|style)\b.*?</\1\s*>", "", markup, flags=re.S | re.I)
    return " ".join(html.unescape(re.sub(r"<[^>]*>", " ", markup)).split())


class Text(str):
    """Parser text, equal to feedparser's value when that reads as the same plain text."""

    def __eq__(self, other):
        return isinstance(other, str) and (" ".join(self.split()) == plain(other) or str(self) == other)

    __hash__ = str.__hash__


class When(tuple):
    """A publication time, equal to a struct_time-like tuple on its first six fields."""

    def __eq__(self, other):
        return tuple(self)[:6] == tuple(other)[:6]

    __hash__ = tuple.__hash__


def model(parsed):
    feed = Fields(title=Text(parsed["feed"]["title"]))
    if parsed["feed"]["link"]:
        feed["link"] = parsed["feed"]["link"]
    entries = Entries()
    for item in parsed["items"]:
        entry = Fields(title=Text(item["title"]), summary=Text(item["summary"]))
        entry["description"] = entry["summary"]
        if item["link"]:
            entry["link"] = item["link"]
        if item["guid"]:
            entry["id"] = item["guid"]
        if item["published"]:
            when = datetime.datetime.strptime(item["published"][:19], "%Y-%m-%dT%H:%M:%S")
            entry["published_parsed"] = When(when.timetuple()[:6])
        entries.append(entry)
    return {"bozo": False, "feed": feed, "entries": entries}


def documents(tests: Path):
    for folder in ("wellformed", "illformed", "encoding", "entities"):
        for path in sorted((tests / folder).rglob("*.xml")):
            expect = expectation(path)
            if expect:
                yield path.relative_to(tests).as_posix(), path, expect


def document_checks(tests: Path):
    """(check, case, agrees) for the well-formedness and value checks."""
    for case, path, expect in documents(tests):
        parsed = parse(path)
        if expect.startswith(("bozo", "not bozo")):
            yield "wellformed", case, (parsed is None) == expect.startswith("bozo")
        if parsed is None or not re.search(r"\b(feed|entries)\b", expect):
            continue
        try:
            agrees = bool(eval(expect, model(parsed)))  # noqa: S307 - feedparser's own test text
        except Unmodelled:
            continue
        except (NameError, AttributeError, TypeError, KeyError):
            continue
        yield "value", case, agrees


def date_checks(tests: Path):
    """(check, case, agrees) for feedparser's table of date cases."""
    source = (tests / "runtests.py").read_text(encoding="utf-8")
    table = source[source.index("date_tests = {"):source.index("def make_date_test")]
    table = re.sub(r"(_parse_date_\w+)", r"'\1'", table)
    scope = {}
    exec(table, scope)  # noqa: S102 - feedparser's own test table, literals only
    with tempfile.TemporaryDirectory() as tmp:
        for parser_name, cases in scope["date_tests"].items():
            for text, want in cases:
                doc = Path(tmp) / "date.xml"
                doc.write_text(
                    '<rss version="2.0"><channel><title>t</title><item><title>x</title>'
                    f"<pubDate>{html.escape(text)}</pubDate></item></channel></rss>",
                    encoding="utf-8",
                )
                parsed = parse(doc)
                got = parsed and parsed["items"][0]["published"]
                # To the second, as feedparser's tuples are.
                got = got and got[:19]
                wanted = want and "%04d-%02d-%02dT%02d:%02d:%02d" % tuple(want[:6])
                yield "date", f"{parser_name} {text!r}", got == wanted


def known_differences():
    known = {}
    for line in (HERE / "known-differences.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            entry, _, why = line.partition(" # ")
            check, _, case = entry.strip().partition(" ")
            known[(check, case)] = why.strip()
    return known


def main():
    tests = suite()
    known = known_differences()
    totals, failures = {}, []
    for check, case, agrees in [*document_checks(tests), *date_checks(tests)]:
        agree, total = totals.get(check, (0, 0))
        totals[check] = (agree + agrees, total + 1)
        if agrees == ((check, case) in known):
            failures.append(f"{'now agrees, remove from the list' if agrees else 'disagrees'}: {check} {case}")
        if "--list" in sys.argv and not agrees:
            print(f"{check} {case}")
    for check, (agree, total) in totals.items():
        print(f"feedparser {VERSION} suite, {check}: {agree} of {total} agree ({100 * agree / total:.1f}%)")
    if failures:
        sys.exit("\n".join(failures))


if __name__ == "__main__":
    main()
