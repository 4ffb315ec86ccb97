"""Errors the CLI and app turn into plain messages (kept free of heavy imports)."""


class EmployerDataError(RuntimeError):
    """A user-facing problem with the employer database (none yet, locked by another process, damaged)."""


class WageLookupError(LookupError):
    """No wage area or no wage row for the request (the message says which)."""
