"""The learned sentence classifier: features, training reproducibility, numpy inference, and how
it combines with the rules. Sentences here are hand-written for visapath; the shared training
corpus is only read in place (tests that need it skip when it is absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from visapath.config import get_settings
from visapath.embeddings import get_embedder
from visapath.postings import analyze_posting, load_lexicon
from visapath.postings.classifier import (
    CLASSES, SentenceClassifier, SentenceModel, combine, feature_names, load_model, rule_features,
)
from visapath.postings.sentence import read_sentence
from visapath.postings.training import (
    Example, featurize, fit, group_of, grouped_folds, holdout_group, load_examples, unit_text,
)

DATA = Path(__file__).parent / "data" / "postings"
TRAIN = get_settings().eval_dir / "train"


@pytest.fixture(scope="module")
def embed():
    return get_embedder(get_settings()).embed


def test_rule_features_see_negation_and_gates() -> None:
    lex = load_lexicon()
    names = feature_names()
    pos = rule_features("We sponsor H-1B visas.", read_sentence("We sponsor H-1B visas.", lex), lex)
    neg_text = "We are not able to sponsor H-1B visas."
    neg = rule_features(neg_text, read_sentence(neg_text, lex), lex)
    assert pos.shape == (len(names),) and set(np.unique(pos)) <= {0.0, 1.0}
    assert pos[names.index("rule=sponsors")] == 1 and pos[names.index("cue=offer:negated")] == 0
    assert neg[names.index("rule=no_sponsorship")] == 1 and neg[names.index("cue=offer:negated")] == 1
    none = rule_features("Great snacks.", read_sentence("Great snacks.", lex), lex)
    assert none[names.index("rule=none")] == 1 and none[names.index("gated")] == 0


def test_unit_text_keeps_the_evidence_sentences() -> None:
    lex = load_lexicon()
    text = "We love dogs. Unfortunately we cannot sponsor visas at this time. Apply today."
    assert unit_text(text, "cannot sponsor visas", lex).strip() == "Unfortunately we cannot sponsor visas at this time."
    assert unit_text(text, None, lex) == text


def test_groups_and_folds_never_split_a_company() -> None:
    rows = [{"company": "Acme"}, {"company": "acme "}, {"company": None, "source_repo_or_site": "github:x/y"}]
    assert group_of(rows[0]) == group_of(rows[1]) == "company:acme"
    assert group_of(rows[2]) == "source:github:x/y"
    groups = [f"company:{i % 17}" for i in range(200)]
    folds = grouped_folds(groups, 5)
    assert sorted(np.concatenate(folds).tolist()) == list(range(200))
    for f in folds:
        inside = {groups[i] for i in f}
        assert not any(groups[j] in inside for g in folds if g is not f for j in g)
    held = [g for g in set(groups) if holdout_group(g)]
    assert held == [g for g in set(groups) if holdout_group(g)]  # deterministic


def test_training_is_reproducible_and_numpy_inference_matches(embed, tmp_path: Path) -> None:
    """Same data and seed twice -> identical weights; the saved file predicts like sklearn."""
    from sklearn.linear_model import LogisticRegression

    ex = load_examples([DATA])
    ex = [e for e in ex if e.label in CLASSES][:60] + [e for e in ex if e.label == "unrelated"][:5]
    x = featurize([e.text for e in ex], embed)
    y = [e.label for e in ex]
    a, b = fit(x, y, seed=7, c=2.0), fit(x, y, seed=7, c=2.0)
    assert np.array_equal(a.coef, b.coef) and np.array_equal(a.intercept, b.intercept)
    path = tmp_path / "m.npz"
    a.save(path)
    loaded = SentenceModel.load(path)
    assert loaded.classes == CLASSES and loaded.meta["seed"] == 7 and loaded.meta["n"] == len(y)
    d = loaded.embedding_dim
    ours = loaded.predict_proba(x[:, :d], x[:, d:])
    ref = LogisticRegression(C=2.0, class_weight="balanced", max_iter=3000, random_state=7).fit(x, y)
    theirs = ref.predict_proba(x)[:, [list(ref.classes_).index(k) for k in CLASSES]]
    assert np.allclose(ours, theirs, atol=1e-4)
    assert np.allclose(ours.sum(axis=1), 1.0, atol=1e-5)


def _probs(label: str, p: float = 0.9) -> np.ndarray:
    v = np.full(len(CLASSES), (1 - p) / (len(CLASSES) - 1))
    v[CLASSES.index(label)] = p
    return v


def test_combine_hard_gate_wins_over_a_refusal() -> None:
    lex = load_lexicon()
    s = "Applicants must be U.S. persons under ITAR; we cannot sponsor visas for this position."
    f = combine(s, read_sentence(s, lex), _probs("no_sponsorship"))
    assert f is not None and f.label == "citizenship_or_clearance"
    assert "U.S. person" in s[f.cue_start : f.cue_end] or "ITAR" in s[f.cue_start : f.cue_end]


def test_combine_keeps_transfer_only_and_rule_spans() -> None:
    lex = load_lexicon()
    s = "We can support H-1B transfers but will not file new H-1B petitions."
    f = combine(s, read_sentence(s, lex), _probs("no_sponsorship"))
    assert f is not None and f.label == "transfer_only"
    s2 = "Our team has sponsored engineers from nine countries."
    f2 = combine(s2, read_sentence(s2, lex), _probs("sponsors", 0.7))
    assert f2 is not None and f2.label == "sponsors" and 0 <= f2.cue_start < f2.cue_end <= len(s2)
    assert combine("Great snacks.", read_sentence("Great snacks.", lex), _probs("sponsors")) is None


def test_shipped_weights_load_and_read_a_posting(embed) -> None:
    model = load_model(get_settings().posting_classifier_path)
    if model is None:
        pytest.skip("no shipped weights")
    clf = SentenceClassifier(model, embed)
    a = analyze_posting("Backend Engineer\nWe are unable to sponsor or take over sponsorship of visas now or in the future.", classifier=clf)
    assert a.sponsorship.verdict == "no_sponsorship"
    assert a.sponsorship.evidence and "sponsor" in a.sponsorship.evidence[0].cue
    b = analyze_posting("Backend Engineer\nWe sponsor H-1B visas and green cards for every engineer we hire.", classifier=clf)
    assert b.sponsorship.verdict == "sponsors"


def test_own_training_sentences_follow_the_scheme_and_stay_training_side(tmp_path: Path) -> None:
    """The project's own sentences are valid training data (known labels, unique ids, every label
    present) and are never scored: the CV choice pool only holds the training directory's rows."""
    import json

    from visapath.postings.training import own_sentences_dir, read_jsonl, validation_pool

    rows = read_jsonl(own_sentences_dir() / "sentences.jsonl")
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["label"] for r in rows} == set(CLASSES)
    train_dir = tmp_path / "train"
    train_dir.mkdir()
    own = [r for r in read_jsonl(DATA / "sentences.jsonl") if r.get("label") in CLASSES][:40]
    (train_dir / "sentences.jsonl").write_text(
        "".join(json.dumps(dict(r, company=f"Company {i}")) + "\n" for i, r in enumerate(own)), encoding="utf-8")
    ex = load_examples([train_dir, own_sentences_dir()])
    pool = validation_pool(ex, train_dir)
    assert 0 < len(pool) < len(own) and all(ex[i].origin == str(train_dir) for i in pool)
