"""`visapath train postings`: rebuild the posting sentence classifier's weights from labelled data."""

from __future__ import annotations

import argparse
from pathlib import Path

from visapath.config import get_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="rebuild learned weights from labelled data")
    which = p.add_subparsers(dest="target", required=True)
    q = which.add_parser("postings", help="the posting sentence classifier (embedding + rule features)")
    q.add_argument("--data", type=Path, action="append", required=True,
                   help="a directory with sentences.jsonl (repeatable); the first one's held-out fold is kept out of the validation model")
    q.add_argument("--out", type=Path, help="weights file (default: VISAPATH_POSTING_CLASSIFIER_FILE or next to the lexicon)")
    q.add_argument("--seed", type=int, default=None)
    q.add_argument("--C", type=float, default=None, help="inverse regularisation strength")
    q.add_argument("--cache", type=Path, help="embedding cache file for repeated runs (keep it outside the project)")
    q.add_argument("--folds", type=int, default=5, help="grouped CV folds for the report (0: skip)")
    q.add_argument("--own", type=Path, action="append", default=None,
                   help="labelled sentences written for the project, always training-side (default: the shipped set next to the lexicon; repeatable)")
    q.add_argument("--no-own", action="store_true", help="train without the project's own sentences")
    q.set_defaults(func=run_postings)


def run_postings(args: argparse.Namespace) -> int:
    from visapath.embeddings import get_embedder
    from visapath.postings.training import DEFAULT_C, DEFAULT_SEED, cached_embed, own_sentences_dir, train, validation_path

    for d in args.data:
        if not (d / "sentences.jsonl").exists():
            print(f"error: no sentences.jsonl in {d}")
            return 2
    settings = get_settings()
    out = args.out or settings.posting_classifier_path
    embed = get_embedder(settings).embed
    if args.cache:
        embed = cached_embed(embed, args.cache)
    own = [] if args.no_own else (args.own or [own_sentences_dir()])
    own = [d for d in own if (d / "sentences.jsonl").exists()]
    report = train(args.data, embed, seed=DEFAULT_SEED if args.seed is None else args.seed,
                   c=DEFAULT_C if args.C is None else args.C, train_dir=args.data[0], cv_folds=args.folds, own_dirs=own)
    report.model.save(out)
    if report.validation is not None:
        report.validation.save(validation_path(out))
    print(report.format())
    print(f"wrote {out}" + (f" and {validation_path(out)}" if report.validation is not None else ""))
    return 0
