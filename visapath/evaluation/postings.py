"""Evaluate the posting analyzer against labeled sentences and labeled whole postings.

The dev set lives outside the project (`<project>/../shared/eval/dev`) and is read in place,
never copied. Sentence files use five labels; a `transfer_only` prediction counts as
`sponsors` there, and "nothing relevant" counts as `unrelated`. A snippet may hold several
sentences: it is split and combined with the same verdict rule as a whole posting.

    python -m visapath.evaluation.postings                 # dev set
    python -m visapath.evaluation.postings --sentences tests/data/postings/sentences.jsonl \\
        --postings tests/data/postings --errors
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from visapath.config import SHARED_DIR
from visapath.postings import Lexicon, PostingAnalysis, analyze_posting, combine_labels, load_lexicon, sentence_findings
from visapath.postings.classifier import SentenceClassifier
from visapath.postings.reader import AUTO

Reader = SentenceClassifier | str | None  # "auto" (shipped), a classifier, or None (rules alone)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEV_DIR = SHARED_DIR / "eval" / "dev"
DEV_SENTENCES = DEV_DIR / "sentences.jsonl"
DEV_POSTINGS = DEV_DIR / "postings"
SENTENCE_LABELS = ("sponsors", "no_sponsorship", "citizenship_or_clearance", "authorization_ambiguous", "unrelated")
POSTING_FIELDS = ("sponsorship_label", "min_degree", "min_years_experience", "salary_min", "salary_max", "remote", "clearance_required")
SOFT_FIELDS = ("title", "company")


@dataclass
class LabelScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class SentenceReport:
    n: int
    accuracy: float
    macro_f1: float
    per_label: dict[str, LabelScore]
    confusion: dict[str, dict[str, int]]  # gold -> predicted -> count
    errors: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PostingFieldReport:
    n: int
    verdict_accuracy: float
    field_accuracy: dict[str, float]
    soft_accuracy: dict[str, float]  # title/company: case-insensitive containment, informational
    rows: list[dict[str, Any]] = field(default_factory=list)
    mean_ms: float = 0.0


@dataclass
class PostingsReport:
    sentences: SentenceReport | None
    postings: PostingFieldReport | None
    sentences_path: str | None = None
    postings_dir: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def classify_snippet(text: str, lex: Lexicon | None = None, classifier: Reader = AUTO) -> str:
    """Five-label prediction for a snippet: per-sentence labels combined by the verdict rule.

    Sentences are read exactly as in a posting (`sentence_findings`): headings, list items and
    planted instructions get the same treatment."""
    found = [f for _, f in sentence_findings(text, lex or load_lexicon(), classifier)[0]]
    verdict, _ = combine_labels([(f.label, f.specific, f.restrictive) for f in found])
    return {"not_mentioned": "unrelated", "transfer_only": "sponsors"}.get(verdict, verdict)


def _prf(gold: list[str], pred: list[str], label: str) -> LabelScore:
    tp = sum(g == p == label for g, p in zip(gold, pred))
    fp = sum(p == label and g != label for g, p in zip(gold, pred))
    fn = sum(g == label and p != label for g, p in zip(gold, pred))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return LabelScore(round(prec, 4), round(rec, 4), round(f1, 4), sum(g == label for g in gold))


def score_labels(gold: list[str], pred: list[str], labels: tuple[str, ...] = SENTENCE_LABELS) -> SentenceReport:
    """Precision/recall/F1 per label, macro-F1 over labels present in gold, accuracy, confusion."""
    per = {lab: _prf(gold, pred, lab) for lab in labels}
    present = [lab for lab in labels if per[lab].support]
    macro = sum(per[lab].f1 for lab in present) / len(present) if present else 0.0
    confusion = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, pred):
        confusion.setdefault(g, {}).setdefault(p, 0)
        confusion[g][p] += 1
    acc = sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else 0.0
    return SentenceReport(len(gold), round(acc, 4), round(macro, 4), per, confusion)


def evaluate_sentences(path: Path, lex: Lexicon | None = None, classifier: Reader = AUTO,
                       keep: Callable[[dict[str, Any]], bool] | None = None) -> SentenceReport:
    """Score every snippet in a sentences file (or those `keep` accepts)."""
    lex = lex or load_lexicon()
    rows = [r for r in _read_jsonl(path) if keep is None or keep(r)]
    gold = [r["label"] for r in rows]
    pred = [classify_snippet(r["text"], lex, classifier) for r in rows]
    report = score_labels(gold, pred)
    report.errors = [{"id": r.get("id"), "text": r["text"], "gold": g, "pred": p}
                     for r, g, p in zip(rows, gold, pred) if g != p]
    return report


def _salary_ok(pred: float | None, gold: float | None) -> bool:
    if pred is None or gold is None:
        return pred is None and gold is None
    return abs(pred - gold) <= 0.01 * abs(gold)


def _predicted_fields(a: PostingAnalysis) -> dict[str, Any]:
    usd = a.salary is not None and a.salary.currency == "USD"
    return {
        "sponsorship_label": a.sponsorship.verdict,
        "min_degree": a.min_degree,
        "min_years_experience": a.min_years_experience,
        "salary_min": a.salary.annual_min if usd else None,
        "salary_max": a.salary.annual_max if usd else None,
        "remote": a.remote,
        "clearance_required": a.clearance_required,
        "title": a.title,
        "company": a.company,
    }


def _field_ok(name: str, pred: Any, gold: Any) -> bool:
    if name in {"salary_min", "salary_max"}:
        return _salary_ok(pred, gold)
    if name == "min_years_experience":
        return (pred is None and gold is None) or (pred is not None and gold is not None and abs(float(pred) - float(gold)) < 1e-6)
    if name in SOFT_FIELDS:
        if not pred or not gold:
            return not pred and not gold
        p, g = str(pred).lower(), str(gold).lower()
        return p in g or g in p
    return pred == gold


def evaluate_posting_dir(directory: Path, lex: Lexicon | None = None, classifier: Reader = AUTO,
                         keep: Callable[[dict[str, Any]], bool] | None = None) -> PostingFieldReport:
    """Score whole postings (or those whose label row `keep` accepts)."""
    lex = lex or load_lexicon()
    labels = [r for r in _read_jsonl(directory / "labels.jsonl") if keep is None or keep(r)]
    rows, hits, soft, ms = [], {f: 0 for f in POSTING_FIELDS}, {f: 0 for f in SOFT_FIELDS}, []
    for lab in labels:
        text = (directory / lab["file"]).read_text(encoding="utf-8")
        t0 = time.perf_counter()
        pred = _predicted_fields(analyze_posting(text, lex, classifier))
        ms.append((time.perf_counter() - t0) * 1000)
        wrong = {}
        for f in POSTING_FIELDS + SOFT_FIELDS:
            ok = _field_ok(f, pred[f], lab.get(f))
            if f in hits:
                hits[f] += ok
            else:
                soft[f] += ok
            if not ok:
                wrong[f] = {"pred": pred[f], "gold": lab.get(f)}
        rows.append({"file": lab["file"], "wrong": wrong})
    n = len(labels)
    acc = {f: round(hits[f] / n, 4) if n else 0.0 for f in POSTING_FIELDS}
    return PostingFieldReport(n, acc["sponsorship_label"], acc, {f: round(soft[f] / n, 4) if n else 0.0 for f in SOFT_FIELDS},
                              rows, round(sum(ms) / len(ms), 2) if ms else 0.0)


def evaluate_postings(sentences_path: Path | None = DEV_SENTENCES, postings_dir: Path | None = DEV_POSTINGS,
                      lexicon: Lexicon | None = None, classifier: Reader = AUTO, holdout: bool = False) -> PostingsReport:
    """Score sentence labels and/or whole-posting fields. Pass None to skip a part.

    `holdout=True` scores only the grouped held-out fold (companies hashed into the fold by
    `visapath.postings.training.holdout_group`), for a training directory."""
    from visapath.postings.training import group_of, holdout_group

    lex = lexicon or load_lexicon()
    keep = (lambda r: holdout_group(group_of(r))) if holdout else None
    sent = evaluate_sentences(Path(sentences_path), lex, classifier, keep) if sentences_path else None
    post = evaluate_posting_dir(Path(postings_dir), lex, classifier, keep) if postings_dir else None
    return PostingsReport(sent, post, str(sentences_path) if sentences_path else None, str(postings_dir) if postings_dir else None)


def validation_classifier() -> SentenceClassifier | None:
    """The model trained without the held-out fold and without the dev set (honest figures)."""
    from visapath.config import get_settings
    from visapath.embeddings import get_embedder
    from visapath.postings.classifier import load_model
    from visapath.postings.training import validation_path

    settings = get_settings()
    model = load_model(validation_path(settings.posting_classifier_path))
    return SentenceClassifier(model, get_embedder(settings).embed) if model is not None else None


def format_report(report: PostingsReport, errors: bool = False) -> str:
    """Plain-text report: per-label table, confusion matrix, posting field accuracies."""
    out: list[str] = []
    s = report.sentences
    if s:
        out.append(f"Sentence labels  ({report.sentences_path}, n={s.n})")
        out.append(f"  accuracy {s.accuracy:.3f}   macro-F1 {s.macro_f1:.3f}")
        out.append(f"  {'label':26} {'prec':>6} {'rec':>6} {'F1':>6} {'n':>4}")
        for lab, sc in s.per_label.items():
            out.append(f"  {lab:26} {sc.precision:6.3f} {sc.recall:6.3f} {sc.f1:6.3f} {sc.support:4d}")
        short = {lab: lab[:6] for lab in s.confusion}
        out.append("  confusion (rows gold, cols predicted):")
        out.append("  " + " " * 26 + " ".join(f"{short[l]:>7}" for l in s.confusion))
        for g, row in s.confusion.items():
            out.append(f"  {g:26}" + " ".join(f"{row.get(p, 0):7d}" for p in s.confusion))
        if errors:
            for e in s.errors:
                out.append(f"  ✗ {e['id']}: gold={e['gold']} pred={e['pred']} :: {e['text'][:160]}")
    p = report.postings
    if p:
        out.append(f"Postings  ({report.postings_dir}, n={p.n}, mean {p.mean_ms:.1f} ms/posting)")
        out.append(f"  verdict accuracy {p.verdict_accuracy:.3f}")
        for f, a in p.field_accuracy.items():
            out.append(f"  {f:26} {a:.3f}")
        for f, a in p.soft_accuracy.items():
            out.append(f"  {f + ' (soft)':26} {a:.3f}")
        if errors:
            for r in p.rows:
                for f, w in r["wrong"].items():
                    out.append(f"  ✗ {r['file']} {f}: pred={w['pred']!r} gold={w['gold']!r}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score the posting analyzer.")
    ap.add_argument("--sentences", type=Path, default=DEV_SENTENCES)
    ap.add_argument("--postings", type=Path, default=DEV_POSTINGS)
    ap.add_argument("--errors", action="store_true", help="list every miss")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    for path in (args.sentences, args.postings):
        if not path.exists():
            print(f"not found: {path}", file=sys.stderr)
            return 2
    report = evaluate_postings(args.sentences, args.postings)
    try:
        print(json.dumps(report.to_json(), indent=2) if args.json else format_report(report, errors=args.errors))
    except BrokenPipeError:  # piped into `head`
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
