"""The running version: the installed package's, with the commit when known."""

from importlib import metadata


def version() -> str:
    try:
        return metadata.version("openiop")
    except metadata.PackageNotFoundError:
        return "unknown"
