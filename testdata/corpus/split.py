#!/usr/bin/env python3
"""Builds headlines-unseen.tsv from the collectors' parts, or re-splits it.

Usage:
  split.py PART.tsv [PART.tsv ...]   merge parts (columns: label hard teams story date source title
                                     description found_in) into headlines-unseen.tsv
  split.py --add PART.tsv [...]      append more parts, keeping every existing row's split
  split.py                           recompute the split column of headlines-unseen.tsv: the
                                     first FIRST_BATCH rows alone, then the rest added to them

Rows are deduplicated by title (case-insensitive) and against ../headlines-dev.tsv. The split is
by story, never by line: rows whose story keys are equal, or name the same month and share two
words, form one story, and a story is in `holdout` when the SHA-256 of its smallest key falls in
the lowest 40% (else `tune`); with --add, a story that already has rows keeps their split. The
classifier is tuned and trained on `tune` only; `holdout` is measured.
"""
import csv
import hashlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "headlines-unseen.tsv"
DEV = HERE.parent / "headlines-dev.tsv"
COLUMNS = ["id", "label", "hard", "teams", "story", "split", "date", "source", "title",
           "description", "found_in"]
STOP = {"to", "the", "a", "of", "and", "in", "on", "for", "with", "trade", "signs", "sign", "deal",
        "nba", "vs", "at", "by", "from", "re", "s"}
HOLDOUT_SHARE = 0.4
# Rows u1..u1005 were split before the second batch (u1006...) was added with --add.
FIRST_BATCH = 1005


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def story_parts(key):
    key = key.lower().strip()
    month = re.match(r"(\d{4}(?:-\d{2})?)", key)
    words = {w for w in re.findall(r"[a-z0-9']+", key[month.end():] if month else key)} - STOP
    return (month.group(1) if month else None), words


def assign_splits(rows, keep=0):
    """Sets each row's split by story; the first `keep` rows keep theirs, and new rows of a
    story they belong to take it."""
    parent = list(range(len(rows)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    parts = [story_parts(r["story"]) for r in rows]
    for i in range(len(rows)):
        for j in range(i):
            same_key = rows[i]["story"].strip().lower() == rows[j]["story"].strip().lower()
            (mi, wi), (mj, wj) = parts[i], parts[j]
            related = mi is not None and mi == mj and len(wi & wj) >= 2
            if same_key or related:
                parent[find(i)] = find(j)
    groups = {}
    for i in range(len(rows)):
        groups.setdefault(find(i), []).append(i)
    for members in groups.values():
        key = min(rows[i]["story"].strip().lower() for i in members)
        h = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0x1_0000_0000
        old = [rows[i]["split"] for i in members if i < keep]
        # A story already split keeps it (tune if it was on both sides, so holdout stays unseen).
        split = (("tune" if "tune" in old else "holdout") if old
                 else "holdout" if h < HOLDOUT_SHARE else "tune")
        for i in members:
            if i >= keep:
                rows[i]["split"] = split


def write(rows):
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        for row in [dict(zip(COLUMNS, COLUMNS))] + rows:
            f.write("\t".join(row[c] for c in COLUMNS) + "\n")


def main(parts):
    keep = 0
    if parts and parts[0] == "--add":
        parts = parts[1:]
        rows = read(OUT)
        keep = len(rows)
    if parts:
        seen = {r["title"].strip().lower() for r in read(DEV)}
        if keep:
            seen |= {r["title"].strip().lower() for r in rows}
        else:
            rows = []
        for part in parts:
            for r in read(part):
                title = r["title"].strip()
                if not title or title.lower() in seen or r["label"] not in ("Trade", "Signing", "Other"):
                    continue
                seen.add(title.lower())
                r = {k: (v or "").replace("\t", " ").strip() for k, v in r.items()}
                r["id"] = f"u{len(rows) + 1}"
                rows.append(r)
    else:
        rows = read(OUT)
        assign_splits(rows[:FIRST_BATCH])
        keep = FIRST_BATCH
    assign_splits(rows, keep)
    write(rows)
    for split in ("tune", "holdout"):
        sub = [r for r in rows if r["split"] == split]
        counts = {l: sum(r["label"] == l for r in sub) for l in ("Trade", "Signing", "Other")}
        print(f"{split}: {len(sub)} rows {counts}")


if __name__ == "__main__":
    main(sys.argv[1:])
