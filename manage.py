#!/usr/bin/env python
"""Django's command-line utility for OpenIOP (same as the `openiop` command)."""

from openiop.cli import main

if __name__ == "__main__":
    main()
