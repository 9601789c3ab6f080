"""``python -m models.weights fetch|status``: every registered network's checkpoint, fetched or checked.

    python -m models.weights fetch     # download into the torch cache, verify (offline classrooms)
    python -m models.weights status    # what is cached, and whether it verifies

The checkpoints are the networks' own (``models.runtime.networks``); finding, verifying and
downloading them is ``models.runtime.weights``.
"""

from __future__ import annotations

import sys

from models.runtime.networks import NETWORKS
from models.runtime.weights import Progress, WeightsError, fetch, verify


def _print_progress(name: str) -> Progress:
    def report(done: int, total: int) -> None:
        pct = f"{100 * done / total:5.1f}%" if total else f"{done >> 20} MiB"
        print(f"\r  {name}: {pct}", end="", file=sys.stderr, flush=True)

    return report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "status"
    if command not in {"fetch", "status"}:
        print("usage: python -m models.weights [fetch|status]", file=sys.stderr)
        return 2
    failed = False
    for name, network in NETWORKS.items():
        try:
            ckpt = network.checkpoint
            path = fetch(ckpt, progress=_print_progress(name)) if command == "fetch" else verify(ckpt)
            print(f"\r{name}: ready, verified ({path})")
        except WeightsError as err:
            failed = True
            print(f"\r{name}: {err}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
