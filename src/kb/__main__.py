"""`python -m kb`: the same command as `kb`."""

from kb.exits import console_entry

console_entry()
