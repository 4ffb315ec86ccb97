"""`visapath eval retrieval` and `visapath eval postings`: the quality figures in the README."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from visapath.cli.common import ready_assistant
from visapath.resources import resource_path

DEFAULT_QUESTIONS = resource_path("tests/data/retrieval_questions.yaml")  # shipped in the wheel too


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="measure retrieval or posting-analysis quality")
    which = p.add_subparsers(dest="target", required=True)
    r = which.add_parser("retrieval", help="recall@1, recall@5 and MRR for hybrid, vector-only and BM25-only; grounded-answer citations")
    r.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    r.add_argument("--misses", action="store_true", help="list questions not answered at rank 1")
    r.set_defaults(func=run_retrieval)
    a = which.add_parser("questions", help="fact coverage, declines and misses of chat answers on real questions")
    a.add_argument("--file", type=Path, default=None,
                   help="questions file (JSON lines); default VISAPATH_EVAL_QUESTIONS_FILE (../shared/eval/dev)")
    a.add_argument("--fold", choices=["all", "tuning", "unseen"], default="all",
                   help="tuning: items whose source_kind matches VISAPATH_EVAL_TUNING_SOURCES; unseen: the rest")
    a.add_argument("--misses", action=argparse.BooleanOptionalAction, default=None,
                   help="list the misses (default: on, except for --fold unseen)")
    a.add_argument("--json", action="store_true", help="print the report as JSON")
    a.set_defaults(func=run_questions)
    q = which.add_parser("postings", help="sentence-label F1 and posting-field accuracy on labeled files")
    q.add_argument("--sentences", type=Path, help="a sentences.jsonl (default: the dev set and the held-out training fold)")
    q.add_argument("--postings", type=Path, help="a postings directory with labels.jsonl")
    q.add_argument("--model", choices=["validation", "shipped", "rules"], default="validation",
                   help="validation: weights trained without the dev set and the held-out fold (default, honest); "
                        "shipped: the weights the app uses; rules: the lexicon alone")
    q.add_argument("--errors", action="store_true", help="list misclassified sentences and wrong fields")
    q.set_defaults(func=run_postings)


def run_retrieval(args: argparse.Namespace) -> int:
    from visapath.evaluation.retrieval import (evaluate, evaluate_answers, format_answer_scores, format_scores,
                                               load_questions)

    questions = load_questions(args.questions)
    assistant = ready_assistant(progress=False)
    assistant.ensure_index()
    print(format_scores(evaluate(assistant.retriever, questions), len(questions), show_misses=args.misses))
    print()
    print(format_answer_scores(evaluate_answers(assistant.grounded, questions)))
    return 0


def run_postings(args: argparse.Namespace) -> int:
    from visapath.config import get_settings
    from visapath.evaluation.postings import evaluate_postings, format_report, validation_classifier

    if args.model == "validation":
        classifier = validation_classifier()
        if classifier is None:
            print("error: no validation weights; run `visapath train postings --data DIR` first (or use --model rules)")
            return 2
    else:
        classifier = "auto" if args.model == "shipped" else None
    print(f"reader: {args.model}")
    if args.sentences or args.postings:
        sentences = args.sentences if args.sentences and args.sentences.exists() else None
        postings = args.postings if args.postings and args.postings.exists() else None
        if sentences is None and postings is None:
            print(f"error: no labeled data at {args.sentences} or {args.postings}")
            return 2
        print(format_report(evaluate_postings(sentences, postings, classifier=classifier), errors=args.errors))
        return 0
    root = get_settings().eval_dir
    ran = False
    for name, holdout in (("dev", False), ("train", True)):
        d = root / name
        if not (d / "sentences.jsonl").exists():
            continue
        ran = True
        print(f"\n### {name}" + (" — grouped held-out fold (companies never used for choices)" if holdout else ""))
        report = evaluate_postings(d / "sentences.jsonl", d / "postings" if (d / "postings" / "labels.jsonl").exists() else None,
                                   classifier=classifier, holdout=holdout)
        print(format_report(report, errors=args.errors))
    if not ran:
        print(f"error: no labeled data under {root} (set VISAPATH_EVAL_DIR)")
        return 2
    return 0


def run_questions(args: argparse.Namespace) -> int:
    from visapath.cli.common import print_json
    from visapath.evaluation.questions import QuestionEvaluator, format_report, load_items, select

    assistant = ready_assistant(progress=False)
    path = args.file or assistant.settings.eval_questions_file
    if not path.exists():
        print(f"error: no questions file at {path} (give one with --file)", file=sys.stderr)
        return 2
    try:
        items = load_items(path)
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    pattern = assistant.settings.eval_tuning_sources
    if args.fold == "tuning":
        items = select(items, source_pattern=pattern)
    elif args.fold == "unseen":
        items = select(items, exclude_source_pattern=pattern)
    assistant.ensure_index()
    report = QuestionEvaluator(assistant.ask).run(items)
    if args.json:
        print_json({"file": str(path), "fold": args.fold, "backend": assistant.backend_name, **report.to_json()})
        return 0
    show = args.misses if args.misses is not None else args.fold != "unseen"
    title = f"Answers on {len(items)} questions from {path} (fold: {args.fold}; backend: {assistant.backend_name})"
    print(format_report(report, show_misses=show, title=title))
    return 0
