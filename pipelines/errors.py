"""The exceptions breakeven raises on purpose.

    BreakevenError            every error meant for the user; the CLI prints it as one line
     ├── InputError           a file or a value in it that cannot be used (names file, row, fix)
     ├── SettingError         a bad option, workspace name, mapping or scenario key
     └── WorkspaceBusy        another process holds the workspace for longer than we wait

Anything else that escapes is a bug and may show a traceback.
"""


class BreakevenError(Exception):
    """An error whose message is written for the user: what, where, and the fix."""


class InputError(BreakevenError):
    """A file, or a row or value in it, cannot be used."""


class SettingError(BreakevenError):
    """An option, workspace name, column mapping or scenario value is not valid."""


class WorkspaceBusy(BreakevenError):
    """The workspace stayed locked by another process past the wait bound."""
