"""The Streamlit app's pages and presentation.

`app.py` wires these together with `st.navigation`; each page is one module with a
`render(ctx: AppContext)` function and no business logic (it calls `visapath.service.Assistant`).
`markup` holds the pure, unit-tested helpers that turn results into escaped HTML; `state` the
typed per-session state; `runtime` start-up, sign-in and the cached assistant.
To add a page: write `visapath/ui/<name>.py` with `render(ctx)` and list it in `app.py`.
"""
