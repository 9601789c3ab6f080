"""``python -m models.datasets fetch|status [name]``: the training data sets, fetched or checked.

    python -m models.datasets status             # every data set: where it is, whether it verifies
    python -m models.datasets fetch cifar10      # download CIFAR-10 into $CNNLAB_DATA, verify it

Like ``python -m models.weights``, for a classroom that will be offline: fetch once at home or
on the school's network, then every page finds the data on disk. The synthetic shapes need no
fetching (they are drawn in code); Fashion-MNIST comes with Debian's ``dataset-fashion-mnist``.
Exits 1 if a data set asked for is missing or does not verify.
"""

from __future__ import annotations

import sys

from models.training import datasets
from models.training.datasets import DatasetUnavailable

NAMES = {"cifar10": "cifar-10", "cifar-10": "cifar-10", "fashion-mnist": "fashion-mnist", "synthetic": "synthetic"}


def status(name: str) -> str:
    """One line: the data set, and where it is (verified) or why it is not usable."""
    if name == "synthetic":
        return "synthetic: ready (drawn in code, nothing to fetch)"
    if name == "fashion-mnist":
        if not datasets.on_disk("fashion-mnist"):
            raise DatasetUnavailable("fashion_missing", looked=", ".join(map(str, datasets.fashion_mnist_dirs())),
                                     folder=str(datasets.data_root() / "fashion-mnist"))
        return f"fashion-mnist: ready ({datasets.fashion_mnist().source})"
    if (datasets.data_root() / "cifar-10-batches-py").is_dir():
        return f"cifar-10: ready, every file verified ({datasets.verify_cifar10()})"
    if datasets.on_disk("cifar-10"):
        folder = datasets.data_root() / "cifar-10-batches-bin"
        return f"cifar-10: ready, the binary version ({folder}; read, not checksummed)"
    raise DatasetUnavailable("cifar_missing", root=str(datasets.data_root()))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "status"
    names = [NAMES.get(a) for a in argv[1:]] or (["cifar-10"] if command == "fetch" else list(datasets.LOADERS))
    if command not in {"fetch", "status"} or None in names or (command == "fetch" and names != ["cifar-10"]):
        print("usage: python -m models.datasets status [cifar10|fashion-mnist|synthetic]\n"
              "       python -m models.datasets fetch cifar10", file=sys.stderr)
        return 2
    failed = False
    for name in names:
        try:
            if command == "fetch":
                print(f"cifar-10: downloading into {datasets.data_root()} …", file=sys.stderr, flush=True)
                print(f"cifar-10: ready, every file verified ({datasets.fetch_cifar10()})")
            else:
                print(status(name))
        except DatasetUnavailable as err:
            failed = True
            print(f"{name}: {err}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
