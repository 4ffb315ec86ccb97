"""Training data and honest validation for the sentence classifier.

Labelled sentence files (`sentences.jsonl`: `text`, `label`, optional `evidence`, `company`,
`source_repo_or_site` / `source`) are read in place from the directories given; nothing is
copied into the project. Each snippet becomes one training unit: the sentence(s) holding its
`evidence`, split exactly as a posting is split, so training matches what the reader sees.

Validation never splits one company's (or one source's) text across train and test:
* `group_of` names the group of a snippet (its company, else its source);
* `holdout_group` puts a fixed fifth of the groups in a held-out fold, by a hash of the
  group name, so the fold is the same on every machine and never used for choices;
* `grouped_folds` gives GroupKFold-style folds over the rest, for choosing features and C.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from visapath.postings.classifier import CLASSES, SentenceModel, embed_text, feature_names, rule_features
from visapath.postings.lexicon import Lexicon, load_lexicon
from visapath.postings.segmentation import _line_role, normalize_for_analysis, posting_sentences
from visapath.postings.sentence import read_sentence

HOLDOUT_BUCKETS = 5  # one bucket of five is the held-out fold
DEFAULT_SEED = 13
DEFAULT_C = 8.0
DEFAULT_OVERRIDE = 0.6  # chosen by grouped CV on the choice pool together with the project's own sentences


@dataclass(frozen=True)
class Example:
    """One labelled training unit."""

    id: str
    text: str  # the sentence(s) that carry the label
    label: str
    group: str
    origin: str  # the data directory it came from


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def group_of(row: dict[str, Any]) -> str:
    """Company when known, else the source; lower-cased so spellings of one employer agree."""
    company = (row.get("company") or "").strip().lower()
    if company:
        return "company:" + company
    return "source:" + str(row.get("source_repo_or_site") or row.get("source") or "unknown").split()[0].lower()


def holdout_group(group: str) -> bool:
    """True for the groups in the held-out fold (stable hash, about one in five)."""
    return int(hashlib.sha1(group.encode("utf-8")).hexdigest()[:8], 16) % HOLDOUT_BUCKETS == 0


def unit_text(text: str, evidence: str | None, lex: Lexicon) -> str:
    """The sentences of a snippet that hold its evidence (all of it when there is none)."""
    norm = normalize_for_analysis(text)
    spans = posting_sentences(norm, lex)
    if not evidence or len(spans) <= 1:
        return text
    at = text.find(evidence)
    if at < 0:
        return text
    end = at + len(evidence)
    hit = [sp for sp in spans if sp.start < end and at < sp.end]
    return text[hit[0].start : hit[-1].end] if hit else text


def load_examples(dirs: Sequence[Path], lex: Lexicon | None = None) -> list[Example]:
    """Every labelled snippet in `DIR/sentences.jsonl` for each directory."""
    lex = lex or load_lexicon()
    out: list[Example] = []
    for d in dirs:
        for r in read_jsonl(Path(d) / "sentences.jsonl"):
            if r.get("label") not in CLASSES:
                continue
            out.append(Example(str(r.get("id")), unit_text(r["text"], r.get("evidence"), lex), r["label"], group_of(r), str(d)))
    return out


def featurize(texts: Sequence[str], embed: Callable[[list[str]], np.ndarray], lex: Lexicon | None = None) -> np.ndarray:
    """[embedding | rule features] rows for sentences read on their own (no line context)."""
    lex = lex or load_lexicon()
    rules = np.vstack([rule_features(t, read_sentence(t, lex), lex) for t in texts]) if texts else np.zeros((0, len(feature_names())))
    emb = embed([embed_text(t) for t in texts])
    return np.hstack([emb.astype(np.float32), rules.astype(np.float32)])


def fit(x: np.ndarray, y: Sequence[str], seed: int = DEFAULT_SEED, c: float = DEFAULT_C, meta: dict[str, Any] | None = None,
        override: float = DEFAULT_OVERRIDE) -> SentenceModel:
    """Class-weighted multinomial logistic regression (sklearn, training time only)."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=c, class_weight="balanced", max_iter=3000, random_state=seed)
    clf.fit(x, np.array(list(y)))
    order = [list(clf.classes_).index(k) for k in CLASSES if k in clf.classes_]
    if len(order) != len(CLASSES):
        raise ValueError(f"training data must hold every label {CLASSES}; got {sorted(set(y))}")
    return SentenceModel(clf.coef_[order].astype(np.float32), clf.intercept_[order].astype(np.float32), CLASSES,
                         tuple(feature_names()), dict(meta or {}, seed=seed, C=c, n=len(y), override=override))


def grouped_folds(groups: Sequence[str], k: int = 5) -> list[np.ndarray]:
    """Test indices of k folds; every group lands in exactly one fold (sizes balanced greedily)."""
    from collections import Counter

    sizes = Counter(groups)
    fold_of: dict[str, int] = {}
    load = [0] * k
    for g, n in sorted(sizes.items(), key=lambda kv: (-kv[1], hashlib.sha1(kv[0].encode()).hexdigest())):
        i = min(range(k), key=lambda j: (load[j], j))
        fold_of[g] = i
        load[i] += n
    idx = np.array([fold_of[g] for g in groups])
    return [np.flatnonzero(idx == i) for i in range(k)]


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def holdout_postings(directory: Path) -> list[dict[str, Any]]:
    """Label rows of the whole postings whose company is in the held-out fold."""
    path = Path(directory) / "postings" / "labels.jsonl"
    if not path.exists():
        return []
    return [r for r in read_jsonl(path) if holdout_group(group_of(r))]


def validation_pool(examples: Sequence[Example], train_dir: Path) -> list[int]:
    """Indices usable for choosing and for the validation model: the training directory minus
    the held-out fold, minus any snippet whose text appears in a held-out whole posting."""
    held_texts = [_norm((Path(train_dir) / "postings" / r["file"]).read_text(encoding="utf-8"))
                  for r in holdout_postings(train_dir)]
    out = []
    for i, e in enumerate(examples):
        if e.origin != str(train_dir) or holdout_group(e.group):
            continue
        n = _norm(e.text)
        if any(n and n in t for t in held_texts):
            continue
        out.append(i)
    return out


@dataclass
class CVResult:
    macro_f1: float
    per_label: dict[str, float]
    confusion: dict[str, dict[str, int]]
    folds: int


def cross_validate(x: np.ndarray, y: Sequence[str], groups: Sequence[str], k: int = 5, seed: int = DEFAULT_SEED,
                   c: float = DEFAULT_C, readings: Sequence[Any] | None = None, texts: Sequence[str] | None = None,
                   extra: tuple[np.ndarray, Sequence[str]] | None = None) -> CVResult:
    """Grouped k-fold: train on k-1 folds (plus `extra`, always training-side), predict the held
    fold with the shipped combination."""
    from visapath.evaluation.postings import score_labels
    from visapath.postings.classifier import combine

    y = list(y)
    pred: list[str] = [""] * len(y)
    for test in grouped_folds(groups, k):
        train = np.setdiff1d(np.arange(len(y)), test)
        xs, ys = x[train], [y[i] for i in train]
        if extra is not None and len(extra[1]):
            xs, ys = np.vstack([xs, extra[0]]), ys + list(extra[1])
        model = fit(xs, ys, seed=seed, c=c)
        d = model.embedding_dim
        probs = model.predict_proba(x[test, :d], x[test, d:])
        for i, p in zip(test, probs):
            if readings is not None and texts is not None:
                f = combine(texts[i], readings[i], p, model.classes, model.override)
                lab = "unrelated" if f is None else f.label
                pred[i] = {"transfer_only": "sponsors"}.get(lab, lab)
            else:
                pred[i] = model.classes[int(np.argmax(p))]
    r = score_labels(y, pred)
    return CVResult(r.macro_f1, {k2: v.f1 for k2, v in r.per_label.items()}, r.confusion, k)


@dataclass
class TrainReport:
    model: SentenceModel
    validation: SentenceModel | None
    counts: dict[str, int]
    cv: CVResult | None

    def format(self) -> str:
        out = [f"examples: {sum(self.counts.values())}  " + "  ".join(f"{k} {v}" for k, v in self.counts.items())]
        if self.cv:
            out.append(f"grouped {self.cv.folds}-fold CV by company/source (choice data): macro-F1 {self.cv.macro_f1:.3f}")
            out += [f"  {lab:26} F1 {f1:.3f}" for lab, f1 in self.cv.per_label.items()]
        m = self.model.meta
        out.append(f"shipped model: {m.get('n')} examples, seed {m.get('seed')}, C {m.get('C')}")
        if self.validation is not None:
            out.append(f"validation model (no held-out fold, no dev): {self.validation.meta.get('n')} examples")
        return "\n".join(out)


def own_sentences_dir() -> Path:
    """The project's own labelled sentences (written for visapath, aimed at phrasings the shared
    data has few of, mostly offers); they are training data only, never scored."""
    from visapath.postings.lexicon import _default_lexicon_path

    return _default_lexicon_path().parent / "posting_sentences"


def train(dirs: Sequence[Path], embed: Callable[[list[str]], np.ndarray], seed: int = DEFAULT_SEED, c: float = DEFAULT_C,
          train_dir: Path | None = None, cv_folds: int = 5, own_dirs: Sequence[Path] = ()) -> TrainReport:
    """Fit the shipped model on every example in `dirs` and `own_dirs`; with `train_dir` also fit
    the validation model on its choice pool plus `own_dirs` (held-out fold and the other
    directories, e.g. dev, excluded) and report grouped CV on that pool (own sentences always sit
    on the training side of a fold, so they never inflate a score)."""
    from collections import Counter

    lex = load_lexicon()
    ex = load_examples(list(dirs) + list(own_dirs), lex)
    texts = [e.text for e in ex]
    x = featurize(texts, embed, lex)
    y = [e.label for e in ex]
    meta = {"data": sorted({Path(e.origin).name for e in ex}), "classes": list(CLASSES)}  # directory names only
    model = fit(x, y, seed=seed, c=c, meta=dict(meta, role="shipped"))
    validation, cv = None, None
    if train_dir is not None:
        pool = validation_pool(ex, Path(train_dir))
        own = [i for i, e in enumerate(ex) if Path(e.origin) in {Path(d) for d in own_dirs}]
        if pool:
            validation = fit(x[pool + own], [y[i] for i in pool + own], seed=seed, c=c,
                             meta=dict(meta, role="validation", holdout_buckets=HOLDOUT_BUCKETS))
            if cv_folds > 1:
                readings = [read_sentence(texts[i], lex) for i in pool]
                cv = cross_validate(x[pool], [y[i] for i in pool], [ex[i].group for i in pool], cv_folds, seed, c,
                                    readings, [texts[i] for i in pool], extra=(x[own], [y[i] for i in own]))
    counts = dict(Counter(y))
    return TrainReport(model, validation, {k: counts.get(k, 0) for k in CLASSES}, cv)


def validation_path(shipped: Path) -> Path:
    """The validation model sits next to the shipped one."""
    return Path(shipped).with_name(Path(shipped).stem + "_validation.npz")


def cached_embed(embed: Callable[[list[str]], np.ndarray], cache_file: Path) -> Callable[[list[str]], np.ndarray]:
    """Wrap `embed` with an on-disk cache keyed by text hash (for repeated training runs; keep
    the file outside the project, it holds vectors of third-party text)."""
    cache_file = Path(cache_file)
    store: dict[str, np.ndarray] = dict(np.load(cache_file)) if cache_file.exists() else {}

    def run(texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
        missing = list({k: t for k, t in zip(keys, texts) if k not in store}.items())
        if missing:
            for (k, _), v in zip(missing, embed([t for _, t in missing])):
                store[k] = v
            with open(cache_file, "wb") as fh:
                np.savez(fh, **store)
        return np.vstack([store[k] for k in keys]) if keys else embed([])

    return run
