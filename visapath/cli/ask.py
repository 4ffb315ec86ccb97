"""`visapath ask`: one question, or a batch, answered with citations.

`--stream` prints the answer sentence by sentence as the model writes it; each sentence is
verified before it is printed, so an unsupported one never appears. When nothing verifiable
remains (or the model fails) the grounded answer follows in a "Verified answer" block. With
`--json --stream` the deltas go to stderr and only the final JSON to stdout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from typing import TextIO

from visapath.cli.common import print_disclaimer, print_json, ready_assistant
from visapath.conversations import ConversationNotFound
from visapath.generate import StreamEvent, final_answer
from visapath.models import Answer
from visapath.service import Assistant


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer a question with cited sources")
    p.add_argument("question", nargs="?", help="the question (omit with --batch)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--batch", metavar="FILE", help="one question per line ('-' for stdin); prints JSON lines")
    p.add_argument("--stream", action="store_true", help="print each verified sentence as soon as the model has written it")
    p.add_argument("--conversation", metavar="ID", help="continue a saved conversation ('new' starts one)")
    p.set_defaults(func=run)

    c = sub.add_parser("conversations", help="list, show, rename or delete saved conversations")
    c.add_argument("action", choices=["list", "show", "rename", "delete"], nargs="?", default="list")
    c.add_argument("id", nargs="?")
    c.add_argument("title", nargs="?", help="new title (rename)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=run_conversations)


def run_conversations(args: argparse.Namespace) -> int:
    from visapath.cli.common import assistant

    store = assistant().conversations
    if args.action == "list":
        items = store.list()
        if args.json:
            print_json([{k: v for k, v in c.to_json().items() if k != "messages"} for c in items])
        for c in [] if args.json else items:
            print(f"{c.id}  {c.updated}  {c.title}")
        if not items and not args.json:
            print("No saved conversations. Start one with `visapath ask --conversation new \"...\"` or in the app.")
        return 0
    if not args.id:
        print(f"error: `conversations {args.action}` needs a conversation id", file=sys.stderr)
        return 2
    try:
        if args.action == "show":
            conversation = store.get(args.id)
            if args.json:
                print_json(conversation.to_json())
            else:
                print(conversation.title)
                for m in conversation.messages:
                    print(f"\n{m.role}: {m.content}")
        elif args.action == "rename":
            if not args.title:
                print("error: give the new title", file=sys.stderr)
                return 2
            print(store.rename(args.id, args.title).title)
        else:
            store.delete(args.id)
            print(f"deleted {args.id}")
    except ConversationNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def run(args: argparse.Namespace) -> int:
    if args.batch:
        return run_batch(args.batch)
    if not args.question:
        print("error: give a question, or --batch FILE", file=sys.stderr)
        return 2
    assistant = ready_assistant(progress=not args.json)
    shown = False
    try:
        conversation = resolve_conversation(assistant, args.conversation)
        events = assistant.ask_stream(args.question, conversation_id=conversation)
        if args.stream:
            answer, shown = stream_answer(events, sys.stderr if args.json else sys.stdout)
        else:
            answer = final_answer(events)
    except ConversationNotFound as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print_json(answer.to_json(extended=True))
    else:
        print_answer(answer, body=not shown)
    return 0


def resolve_conversation(assistant: Assistant, value: str | None) -> str | None:
    """`new` starts a conversation (its id goes to stderr); an id continues one."""
    if not value:
        return None
    if value == "new":
        conversation = assistant.conversations.create()
        print(f"conversation: {conversation.id}", file=sys.stderr)
        return conversation.id
    return value


def stream_answer(events: Iterable[StreamEvent], out: TextIO) -> tuple[Answer, bool]:
    """Write deltas to `out` as they arrive. Returns the final answer and whether the streamed
    text already showed it on stdout (otherwise a "Verified answer" block is due)."""
    streamed: list[str] = []
    answer = final_answer(_echo(events, out, streamed))
    if not streamed:
        return answer, False
    out.write("\n")
    same = " ".join("".join(streamed).split()) == " ".join(answer.answer.split())
    if out is sys.stdout and not same:
        print("\nVerified answer (what the sources support):", file=out)
    return answer, out is sys.stdout and same


def _echo(events: Iterable[StreamEvent], out: TextIO, streamed: list[str]) -> Iterator[StreamEvent]:
    for event in events:
        if event.kind == "delta":
            streamed.append(event.text)
            out.write(event.text)
            out.flush()
        yield event


def run_batch(path: str) -> int:
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    with stream:
        questions = [line.strip() for line in stream if line.strip()]
    assistant = ready_assistant(progress=False)
    for question in questions:
        print_json(assistant.ask(question).to_json(extended=True))
    return 0


def print_answer(answer: Answer, body: bool = True) -> None:
    if body:
        print(answer.answer)
    if answer.notice:
        print(f"\nNote: {answer.notice}")
    if answer.citations:
        print("\nSources:")
        for c in answer.citations:
            where = " > ".join(p for p in (c.title, c.section) if p)
            page = f", page {c.page}" if c.page else ""
            print(f"  [{c.n}] {where} ({c.source}{page}; relevance {c.score:.2f})")
            print(f"      \"{c.quote if len(c.quote) < 240 else c.quote[:237] + '...'}\"")
    print_disclaimer()
