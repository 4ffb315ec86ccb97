"""The Profile page: the user's status and dates, saved on this machine, and their personal
visa timeline drawn from those dates.

No form: each field reruns on change, so a message about a field clears as soon as it is fixed,
and a date can be emptied with its own Clear button.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

import altair as alt

from visapath.profile import DEGREES, STATUSES, Profile, ProfileError, make_profile
from visapath.service import Assistant
from visapath.ui import markup
from visapath.ui.runtime import AppContext
from visapath.timeline import Timeline
from visapath.ui.state import ProfileState, session

FIELDS = {  # widget key -> profile field
    "profile_name": "name", "profile_status": "status", "profile_role": "target_role",
    "profile_degree": "degree", "profile_us_degree": "us_degree", "profile_stem": "stem_degree",
    "profile_auth_end": "work_authorization_end", "profile_h1b_start": "h1b_start",
}
DATE_RANGE = (date(2000, 1, 1), date(2060, 12, 31))


def render(ctx: AppContext) -> None:
    a, state = ctx.assistant, session().profile
    st.markdown("#### Your profile")
    st.caption("Used for posting notes, drafts, suggested questions and your timeline. Stored only on this machine.")
    seed(ctx.profile)
    statuses = [""] + list(STATUSES)
    degrees = [""] + list(DEGREES)
    with st.container(border=True):
        st.text_input("Name", key="profile_name", max_chars=80, on_change=clear_error)
        st.selectbox("Current US status", statuses, key="profile_status", on_change=clear_error,
                     format_func=lambda s: STATUSES.get(s, "Choose your status"))
        st.text_input("Target role", key="profile_role", max_chars=100, on_change=clear_error,
                      placeholder="e.g. Machine learning engineer")
        col1, col2, col3 = st.columns(3)
        col1.selectbox("Highest degree", degrees, key="profile_degree", format_func=lambda d: DEGREES.get(d, "—"))
        col2.checkbox("Degree from a US school", key="profile_us_degree")
        col3.checkbox("STEM degree", key="profile_stem")
        date_field("Work authorization end date (OPT, STEM OPT or EAD)", "profile_auth_end")
        date_field("First day in H-1B status (for the six-year limit)", "profile_h1b_start")
        if state.error:
            st.error(state.error, icon=":material/error:")
        st.button("Save profile", type="primary", icon=":material/save:", key="save_profile",
                  on_click=save, args=(a, state))
    if state.saved:
        state.saved = False
        st.success("Profile saved.", icon=":material/check_circle:")
    timeline_section(a, ctx.profile)


# -- the personal timeline -------------------------------------------------------------------------

KIND_COLOURS = {"authorization": "#c62828", "grace": "#b35900", "window": "#0b3d91", "option": "#1a7f37",
                "limit": "#6a3fb5"}
MISSING_HINTS = {"status": "your current US status", "work_authorization_end": "your work authorization end date",
                 "h1b_start": "your first day in H-1B status"}


def timeline_section(a: Assistant, profile: Profile) -> None:
    """The saved profile's dates as a chart, then each date with the guidance it comes from."""
    st.markdown('<div id="timeline"></div>', unsafe_allow_html=True)
    st.markdown("#### Your visa timeline")
    timeline, cited = a.timeline(profile)
    if timeline.missing:
        st.caption("Add " + " and ".join(MISSING_HINTS.get(m, m) for m in timeline.missing)
                   + " above and save to see " + ("more of " if timeline.events else "") + "your dates.")
    if not timeline.events:
        return
    st.altair_chart(timeline_chart(timeline), width="stretch")
    for event in sorted(timeline.events, key=lambda e: e.start):
        c = cited.get(event.key)
        st.markdown(markup.timeline_event_html(event, c.n if c else None), unsafe_allow_html=True)
    if cited:
        st.markdown(f'<div class="vp-sources-label">Where these dates come from ({len(set(c.n for c in cited.values()))})'
                    "</div>", unsafe_allow_html=True)
        seen: set[int] = set()
        for c in sorted(cited.values(), key=lambda c: c.n):
            if c.n not in seen:
                seen.add(c.n)
                st.markdown(markup.source_card_html(c, [], references=a.references(c.source), anchor="timeline"),
                            unsafe_allow_html=True)
    st.caption("Dates follow the general rules; your documents (EAD, I-94, I-797) and your DSO or attorney decide.")


def timeline_chart(timeline: Timeline) -> alt.LayerChart:
    """Windows as bars, single dates as points, today as a rule; a tooltip names the source."""
    rows = [{"label": e.label, "start": e.start.isoformat(), "end": e.last_day.isoformat(), "kind": e.kind,
             "dates": e.start.isoformat() + (f" – {e.end.isoformat()}" if e.end else ""),
             "source": f"{e.ref.source} › {e.ref.section}"} for e in timeline.events]
    order = [e.label for e in sorted(timeline.events, key=lambda e: e.start)]
    data = alt.Data(values=rows)
    colour = alt.Color("kind:N", scale=alt.Scale(domain=list(KIND_COLOURS), range=list(KIND_COLOURS.values())),
                       legend=None)
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    tooltip = [alt.Tooltip("label:N", title="What"), alt.Tooltip("dates:N", title="When"),
               alt.Tooltip("source:N", title="Source")]
    base = alt.Chart(data)
    bars = base.transform_filter("datum.start != datum.end").mark_bar(height=12, cornerRadius=3).encode(
        x=alt.X("start:T", title=None), x2="end:T", y=y, color=colour, tooltip=tooltip)
    points = base.transform_filter("datum.start == datum.end").mark_point(filled=True, size=120, shape="diamond"
                                                                          ).encode(x="start:T", y=y, color=colour,
                                                                                   tooltip=tooltip)
    today = alt.Chart(alt.Data(values=[{"today": timeline.today.isoformat()}])).mark_rule(
        color="#57606a", strokeDash=[4, 3]).encode(x="today:T")
    return (bars + points + today).properties(height=max(120, 34 * len(order)))


def seed(profile: Profile) -> None:
    """Fill the fields from the saved profile the first time they are drawn in a session."""
    values = profile.model_dump()
    for key, name in FIELDS.items():
        if key not in st.session_state:
            value = values.get(name)
            st.session_state[key] = ("" if value is None else value) if key in (
                "profile_name", "profile_status", "profile_role", "profile_degree") else (
                bool(value) if key in ("profile_us_degree", "profile_stem") else value)


def date_field(label: str, key: str) -> None:
    """A date that can be left empty or emptied again (Clear), within a wide allowed range."""
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    left.date_input(label, key=key, min_value=DATE_RANGE[0], max_value=DATE_RANGE[1], format="YYYY-MM-DD",
                    on_change=clear_error, help="Leave empty if none.")
    right.button("Clear", key=f"{key}_clear", icon=":material/backspace:", on_click=clear_date, args=(key,),
                 disabled=st.session_state.get(key) is None)


def clear_date(key: str) -> None:
    st.session_state[key] = None
    clear_error()


def clear_error() -> None:
    session().profile.error = None


def save(a: Assistant, state: ProfileState) -> None:
    values = {name: st.session_state.get(key) for key, name in FIELDS.items()}
    values["status"] = values["status"] or None
    values["degree"] = values["degree"] or None
    try:
        a.profiles.save(make_profile(**values))
    except (ProfileError, OSError) as exc:
        state.error = str(exc)
        return
    state.error, state.saved = None, True
    session().postings.explanations.clear()  # notes depend on the status


if __name__ == "__main__":  # run as a page by st.navigation (see app.py)
    from visapath.ui.state import context

    render(context())
