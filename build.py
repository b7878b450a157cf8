"""Command-line entry point: `python build.py [build|check|serve|new|import] …`."""
from __future__ import annotations

from pathlib import Path

from bitext.cli import main

if __name__ == "__main__":
    raise SystemExit(main(root=Path(__file__).resolve().parent))
