"""`visapath serve`: start the app with the network settings of `visapath.config`.

Local by default (127.0.0.1). Serving others (`VISAPATH_SERVE_ADDRESS`) needs the names the
server is reached by (`VISAPATH_ALLOWED_HOSTS`): the app's WebSocket is then refused when its
Host header names any other site, which is what a DNS-rebinding page sends, and when its Origin
is a different site (Streamlit's own check). Streamlit enforces both (`server.allowedHosts`,
`server.enableCORS`); this command only fills in the list, so that a wildcard bind can never run
with an empty one (Streamlit reads an empty list as "any host").
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from visapath.config import PROJECT_ROOT, Settings, get_settings

LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")  # also the default in .streamlit/config.toml
WILDCARDS = ("0.0.0.0", "::", "")


class ServeConfigError(ValueError):
    """The server settings would serve others without knowing its own name."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="start the app (local by default; VISAPATH_SERVE_ADDRESS serves others)")
    p.add_argument("--print-command", action="store_true", help="print the streamlit command instead of running it")
    p.add_argument("streamlit_args", nargs=argparse.REMAINDER, help="more `streamlit run` options, after --")
    p.set_defaults(func=run)


def allowed_hosts(settings: Settings) -> list[str]:
    """The Host names the server accepts: the configured ones plus this machine's loopback names.

    Local mode needs no setting. A specific serve address (an IP or a name) is reachable under that
    name; a wildcard bind (0.0.0.0) is reachable under names only the operator knows, so then
    `VISAPATH_ALLOWED_HOSTS` is required.
    """
    configured = [h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()]
    address = (settings.serve_address or "127.0.0.1").strip().strip("[]")
    if address in WILDCARDS and not configured:
        raise ServeConfigError(
            f"VISAPATH_SERVE_ADDRESS={address or '(empty)'} listens on every interface, so visapath cannot tell its "
            "own name from another site's. Set VISAPATH_ALLOWED_HOSTS to the host names people use to reach it "
            "(comma-separated, e.g. visapath.example.org,10.0.0.5); requests naming any other host are refused.")
    names = configured + ([] if address in WILDCARDS else [address.lower()]) + list(LOCAL_NAMES)
    return list(dict.fromkeys(names))


def streamlit_command(settings: Settings, extra: Sequence[str] = ()) -> list[str]:
    address = settings.serve_address or "127.0.0.1"
    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"),
               "--server.address", address, "--server.port", str(settings.port),
               "--server.enableCORS", "true", "--server.enableXsrfProtection", "true",
               "--browser.gatherUsageStats", "false"]
    for host in allowed_hosts(settings):
        command += ["--server.allowedHosts", host]
    return command + [a for a in extra if a != "--"]


def run(args: argparse.Namespace) -> int:
    try:
        command = streamlit_command(get_settings(), args.streamlit_args)
    except ServeConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.print_command:
        print(" ".join(command))
        return 0
    os.chdir(PROJECT_ROOT)  # Streamlit reads .streamlit/config.toml from the working directory
    os.execv(command[0], command)
    return 0  # pragma: no cover - execv does not return

