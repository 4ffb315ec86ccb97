"""Start-up, sign-in and the per-user assistant the pages share.

Local mode (the default, bound to 127.0.0.1) has one user, `settings.user`, and no sign-in.
Serving others (`VISAPATH_SERVE_ADDRESS`, or a non-loopback `server.address`) requires a
sign-in through `st.login` with the OIDC provider configured in `.streamlit/secrets.toml`; the
signed-in identity becomes the user key every store is keyed by. No identity, no data.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import threading
from dataclasses import dataclass

import streamlit as st

from visapath.config import Settings, get_settings
from visapath.profile import Profile, ProfileError
from visapath.service import Assistant
from visapath.store import StoreError
from visapath.ui import markup

log = logging.getLogger("visapath.app")


@dataclass(frozen=True)
class Identity:
    """Who this session acts for: the storage key and what the sidebar shows."""

    key: str
    label: str
    hosted: bool


@dataclass
class AppContext:
    """What every page receives: the user's ready assistant, their profile and identity."""

    assistant: Assistant
    profile: Profile
    identity: Identity


@dataclass
class Runtime:
    """One per process, data dir and user: the assistant (model, store, retriever) and its index state."""

    assistant: Assistant
    lock: threading.Lock
    ready: bool = False
    summary: str = ""


def is_loopback(address: str | None) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if address is None:
        return False
    host = address.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serving_others(settings: Settings) -> bool:
    """Whether other machines can reach this server, so every visitor must sign in.

    `VISAPATH_SERVE_ADDRESS` is the explicit switch; a `--server.address` that is not loopback
    (passed to `streamlit run` directly) counts too, and so does no address at all (Streamlit then
    listens on every interface, e.g. when started outside the project folder without its config),
    so a bare bind never serves data unguarded.
    """
    if settings.serve_address and not is_loopback(settings.serve_address):
        return True
    return not is_loopback(st.get_option("server.address"))


def identity_key(issuer: str, subject: str) -> str:
    """A stable, path-safe user key for a signed-in identity (the provider's issuer and subject)."""
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:20]
    return f"u{digest}"


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def sign_in_gate(settings: Settings) -> Identity:
    """The identity of this session; in hosted mode, a sign-in page (and a stop) until signed in."""
    if not serving_others(settings):
        return Identity(settings.user, "", hosted=False)
    if not auth_configured():
        st.title("visapath")
        st.error("This server is reachable from other machines, so everyone must sign in, but sign-in is not "
                 "configured. Add an [auth] section for your OIDC provider to .streamlit/secrets.toml "
                 "(see the README, 'Hosted mode'), or serve on 127.0.0.1 only.", icon=":material/lock:")
        st.stop()
    user = st.user
    if not user.is_logged_in:
        st.title("visapath")
        st.markdown("Private job-search help for people who need a US work visa. "
                    "Sign in to see your own profile, postings and conversations.")
        st.button("Sign in", type="primary", icon=":material/login:", key="sign_in",
                  on_click=st.login, args=(settings.auth_provider,) if settings.auth_provider else ())
        st.stop()
    issuer = str(user.get("iss") or settings.auth_provider or "oidc")
    subject = str(user.get("sub") or user.get("email") or "")
    if not subject:
        st.error("Your sign-in did not say who you are (no subject or email); visapath shows no data without it.",
                 icon=":material/lock:")
        st.stop()
    label = str(user.get("email") or user.get("name") or subject)
    return Identity(identity_key(issuer, subject), label, hosted=True)


@st.cache_resource(show_spinner=False)
def _runtime(key: str, _settings: Settings) -> Runtime:
    """Cached across reruns and sessions; `key` (the settings, user included) makes one per user."""
    return Runtime(Assistant(_settings), threading.Lock())


def runtime_for(identity: Identity) -> Runtime:
    settings = get_settings()
    if identity.key != settings.user:
        settings = settings.model_copy(update={"user": identity.key})
    return _runtime(settings.model_dump_json(), settings)


def start(rt: Runtime) -> Assistant:
    """The ready assistant; the first start loads the model and builds the index, visibly."""
    boot = st.empty()  # always present, so the widgets after it keep their identity across reruns
    if rt.ready:
        return rt.assistant
    with rt.lock:
        if not rt.ready:
            with boot.status("Preparing visapath…", expanded=True) as box:
                try:
                    st.write("Loading the embedding model (runs locally; about 10 seconds on first start)…")
                    rt.assistant.embedder
                    st.write("Syncing the guidance library into the search index…")
                    report = rt.assistant.ensure_index()
                    st.write("Warming up the answerer…")
                    rt.assistant.grounded
                except StoreError as exc:
                    box.update(label="visapath could not open its index", state="error")
                    st.error(markup.escape_markdown(str(exc)), icon=":material/error:")
                    st.stop()
                except Exception as exc:  # a missing model or package: say so instead of a traceback
                    log.exception("start-up failed")
                    box.update(label="visapath could not start", state="error")
                    st.error(markup.escape_markdown(f"Start-up failed: {exc}. Check the installation "
                                                    "(scripts/setup.sh) and restart."),
                             icon=":material/error:")
                    st.stop()
            rt.summary = report.summary()
            rt.ready = True
            st.toast(f"Knowledge base ready · {rt.summary}", icon=":material/check_circle:")
    boot.empty()
    return rt.assistant


def load_profile(a: Assistant) -> Profile:
    """The user's profile; an unreachable or unwritable database stops the page with its message."""
    from visapath.database import DatabaseError
    from visapath.datadir import DataDirError

    try:
        return a.profile
    except ProfileError as exc:
        st.sidebar.error(str(exc), icon=":material/error:")
        return Profile()
    except (DatabaseError, DataDirError) as exc:
        st.error(markup.escape_markdown(str(exc)), icon=":material/error:")
        st.stop()
