"""`python -m kb`: the same command as `kb`."""

from kb.cli import main

main()
