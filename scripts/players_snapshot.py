#!/usr/bin/env python3
"""Writes shared/data/players.tsv: every NBA player of the static table in nba_api (PyPI).

Downloads the pinned nba_api wheel (no install, no network at run time of the product), reads
`nba_api/stats/library/data.py` as Python source (never imports it) and writes one line per
player: id, full name, active (1/0). Usage: scripts/players_snapshot.py [--version X.Y.Z]
"""
import argparse
import ast
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "shared/data/players.tsv"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--version", default="1.12.0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", tmp,
                        f"nba_api=={args.version}"], check=True)
        wheel = next(Path(tmp).glob("nba_api-*.whl"))
        source = zipfile.ZipFile(wheel).read("nba_api/stats/library/data.py").decode("utf-8")
    players = None
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "players" for t in node.targets):
            players = ast.literal_eval(node.value)
    if not players:
        sys.exit("no players table in data.py")
    rows = sorted({(p[0], p[3].strip(), bool(p[4])) for p in players if p[3].strip()})
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(f"# NBA players from nba_api {args.version} (PyPI), nba_api/stats/library/data.py; "
                "regenerate with scripts/players_snapshot.py\n")
        f.write("id\tname\tactive\n")
        for pid, name, active in rows:
            f.write(f"{pid}\t{name}\t{int(active)}\n")
    print(f"wrote {len(rows)} players ({sum(r[2] for r in rows)} active) to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
