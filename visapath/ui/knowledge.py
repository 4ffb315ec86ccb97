"""The Knowledge page: what the guidance library holds and how fresh it is."""

from __future__ import annotations

import streamlit as st

from visapath.ui import markup
from visapath.ui.runtime import AppContext


def render(ctx: AppContext) -> None:
    a = ctx.assistant
    info = a.info()
    st.markdown("#### Knowledge base")
    st.caption("Curated guidance on US work visas. Every chat answer quotes these documents.")
    with st.container(horizontal=True):
        st.metric("Guidance documents", info["guidance_documents"])
        st.metric("Indexed passages", info["chunks"])
        st.metric("Stale documents", len(info["stale_documents"]))
        st.metric("Answers", markup.backend_label(info["llm_backend"]))
    if info["stale_documents"]:
        st.warning("Not reviewed in over a year — check the official source before relying on: "
                   + markup.escape_markdown(", ".join(info["stale_documents"])), icon=":material/history:")
    rows = markup.document_rows(info["documents"], info["stale_documents"])
    st.dataframe(rows, hide_index=True, width="stretch", height=min(38 + 35 * len(rows), 740))
    st.caption(f"Answers: {markup.escape_markdown(a.backend_description)} · index: "
               f"{markup.escape_markdown(info['store'])} · embedding model {info['embedding_model']}")


if __name__ == "__main__":  # run as a page by st.navigation (see app.py)
    from visapath.ui.state import context

    render(context())
