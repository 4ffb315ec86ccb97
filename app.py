"""visapath — the Streamlit app: wiring only. Pages live in `visapath.ui`, behaviour in
`visapath.service.Assistant`.

Run with `scripts/run.sh` (or `streamlit run app.py`). Local by default (127.0.0.1, one user);
with `VISAPATH_SERVE_ADDRESS` set, every visitor signs in and sees only their own data.
"""

from __future__ import annotations

import streamlit as st

from visapath.config import get_settings
from visapath.ui import markup, sidebar
from visapath.ui.runtime import AppContext, load_profile, runtime_for, sign_in_gate, start
from visapath.ui.state import session

st.set_page_config(page_title="visapath", page_icon=None, layout="wide",  # a remote icon would be fetched
                   initial_sidebar_state="auto")

# One module per page: (file, title, URL path). Each file's `render(ctx)` draws the page.
# No page icons: Streamlit turns a page's icon into the tab's favicon, fetched from a remote font host.
PAGES = [
    ("visapath/ui/chat.py", "Chat", "chat"),
    ("visapath/ui/postings.py", "Postings", "postings"),
    ("visapath/ui/drafts.py", "Drafts", "drafts"),
    ("visapath/ui/profile.py", "Profile", "profile"),
    ("visapath/ui/employers.py", "Employers", "employers"),
    ("visapath/ui/knowledge.py", "Knowledge", "knowledge"),
]


def main() -> None:
    st.html(markup.APP_CSS)
    st.html(markup.CHIP_SCRIPT, unsafe_allow_javascript=True)  # [n] chips open their source card
    settings = get_settings()
    identity = sign_in_gate(settings)  # hosted mode: a sign-in page until signed in; no identity, no data
    rt = runtime_for(identity)
    user_profile = load_profile(rt.assistant)
    slot = sidebar.frame(rt.assistant, user_profile, identity)
    ctx = AppContext(start(rt), user_profile, identity)
    session().context = ctx
    pages = [st.Page(path, title=title, url_path=url, default=i == 0) for i, (path, title, url) in enumerate(PAGES)]
    current = st.navigation(pages, position="top")
    current.run()
    with slot:
        sidebar.conversation_list(ctx.assistant, pages[0], on_chat=current.url_path == pages[0].url_path)


main()
