"""Draw every blueprint in examples/ as docs/images/NAME.png (with its findings): one command.

    python docs/make_images.py            # every example
    python docs/make_images.py fires      # the examples whose file name contains "fires"
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import blueprint as bp
from blueprint.files import write_atomic

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for path in sorted((ROOT / "examples").glob("*.y*ml")):
        if argv and not any(word in path.stem for word in argv):
            continue
        start = time.perf_counter()
        try:
            png = bp.render(bp.load(path), "png")
        except bp.BlueprintError as exc:
            print(f"{path.name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        write_atomic(out / f"{path.stem}.png", png)
        print(f"docs/images/{path.stem}.png  {len(png) // 1024} KiB  {time.perf_counter() - start:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
