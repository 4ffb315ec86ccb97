"""The learned sentence classifier that sits beside the rules.

Features are the sentence's MiniLM embedding (the model the app already loads) followed by what
the rules saw in the sentence (`rule_features`): the rules' own label, which cue families
matched and whether a negator governs them, hedges, questions, unrelated-sense vetoes and the
jurisdictions named. A multinomial logistic regression over those features was trained offline
(`visapath train postings`); its weights are a data file, and inference here is plain numpy.

Why both: the rules generalise poorly to phrasings nobody wrote down, the embedding alone
cannot tell "we sponsor" from "we do not sponsor" reliably; together the model learns when to
trust which. The rules still provide evidence spans, hard gates and explanations (`reader`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from visapath.postings.lexicon import Lexicon
from visapath.postings.records import CUE_FAMILIES, Finding
from visapath.postings.sentence import Reading

CLASSES = ("sponsors", "no_sponsorship", "citizenship_or_clearance", "authorization_ambiguous", "unrelated")
RULE_LABELS = ("sponsors", "transfer_only", "no_sponsorship", "citizenship_or_clearance", "authorization_ambiguous", "unrelated", "none")
EMBED_CHARS = 600  # a run-on "sentence" is embedded from its first thousand characters (the model reads ~256 tokens)


def feature_names() -> list[str]:
    """Names of the rule features, in order (the embedding dimensions come first)."""
    names = [f"rule={lab}" for lab in RULE_LABELS]
    names += [f"finding={lab}" for lab in RULE_LABELS[:-1]]
    for fam in CUE_FAMILIES:
        names += [f"cue={fam}", f"cue={fam}:negated"]
    names += ["gated", "heading", "hedged", "question", "vetoed", "specific", "restrictive", "clearance_preferred",
              "visa_kind", "eeo", "e_verify", "juris=US", "juris=other", "long"]
    return names


def rule_features(sentence: str, reading: Reading, lex: Lexicon) -> np.ndarray:
    """Binary features from the rules' reading of one sentence (see `feature_names`)."""
    v: dict[str, float] = {}
    best = reading.best
    v[f"rule={best.label if best else 'none'}"] = 1.0
    for f in reading.findings:
        v[f"finding={f.label}"] = 1.0
        v["specific"] = max(v.get("specific", 0.0), float(f.specific))
        v["restrictive"] = max(v.get("restrictive", 0.0), float(f.restrictive))
        v["clearance_preferred"] = max(v.get("clearance_preferred", 0.0), float(f.clearance_preferred))
    for m, neg in zip(reading.matches, reading.negated):
        v[f"cue={m.family}"] = 1.0
        if neg:
            v[f"cue={m.family}:negated"] = 1.0
    v["gated"] = float(reading.gated)
    v["heading"] = float(reading.heading)
    v["hedged"] = float(reading.hedged)
    v["question"] = float(reading.question)
    v["vetoed"] = float(bool(reading.dropped))
    if reading.gated:
        v["visa_kind"] = float(bool(lex.visa_kind.search(sentence)))
        v["eeo"] = float(bool(lex.eeo.search(sentence)))
        v["e_verify"] = float(bool(lex.e_verify_boilerplate.search(sentence)))
        found = {m.lastgroup for m in lex.jurisdiction_any.finditer(sentence)}
        v["juris=US"] = float("US" in found)
        v["juris=other"] = float(bool(found - {"US"}))
    v["long"] = float(len(sentence) > 300)
    names = feature_names()
    return np.array([v.get(n, 0.0) for n in names], dtype=np.float32)


def embed_text(sentence: str) -> str:
    """What the embedding model reads for a sentence: whitespace collapsed, bounded length."""
    return " ".join(sentence.split())[:EMBED_CHARS]


@dataclass
class SentenceModel:
    """Multinomial logistic regression over [embedding, rule features]."""

    coef: np.ndarray  # (n_classes, n_features)
    intercept: np.ndarray  # (n_classes,)
    classes: tuple[str, ...] = CLASSES
    rule_feature_names: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def override(self) -> float:
        """Probability the model needs to overrule a work-authorization label the rules gave."""
        return float(self.meta.get("override", 0.0))

    @property
    def embedding_dim(self) -> int:
        return int(self.coef.shape[1] - len(self.rule_feature_names))

    def predict_proba(self, embeddings: np.ndarray, rules: np.ndarray) -> np.ndarray:
        """Class probabilities, one row per sentence, columns in `classes` order."""
        x = np.hstack([np.asarray(embeddings, dtype=np.float32), np.asarray(rules, dtype=np.float32)])
        z = x @ self.coef.T + self.intercept
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    def save(self, path: Path) -> None:
        """Weights as a compressed .npz; the metadata (training data, seed, scores) as JSON inside it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh, coef=self.coef.astype(np.float32), intercept=self.intercept.astype(np.float32),
                classes=np.array(self.classes), rule_feature_names=np.array(self.rule_feature_names),
                meta=np.array(json.dumps(self.meta, sort_keys=True)),
            )

    @classmethod
    def load(cls, path: Path) -> "SentenceModel":
        with np.load(path, allow_pickle=False) as z:
            return cls(z["coef"], z["intercept"], tuple(str(c) for c in z["classes"]),
                       tuple(str(n) for n in z["rule_feature_names"]), json.loads(str(z["meta"])))


def default_model_path() -> Path:
    """Where the shipped weights live (next to the lexicon, as data)."""
    from visapath.postings.lexicon import _default_lexicon_path

    return _default_lexicon_path().parent / "posting_classifier.npz"


@lru_cache(maxsize=4)
def _load_cached(path: Path, _mtime: int) -> SentenceModel:
    return SentenceModel.load(path)


def load_model(path: Path | None = None) -> SentenceModel | None:
    """The shipped model, or None when no weights file exists (the rules then read alone)."""
    p = Path(path) if path else default_model_path()
    if not p.exists():
        return None
    model = _load_cached(p.resolve(), p.stat().st_mtime_ns)
    if tuple(model.rule_feature_names) != tuple(feature_names()):
        return None  # weights from another feature layout: retrain rather than misread them
    return model


# ---------------------------------------------------------------------------------------
# Rules and model together

HARD_GATE_FAMILIES = frozenset({"citizenship", "clearance"})


def combine(sentence: str, reading: Reading, probs: np.ndarray, classes: tuple[str, ...] = CLASSES,
            override: float = 0.0) -> Finding | None:
    """One sentence's shipped label: the model's, with the rules' span, gates and refinements.

    * the model picks the label (it saw the rules' reading as features);
    * a hard legal gate the rules found (citizenship, clearance, export control) wins over a
      refusal in the same sentence ("U.S. person ... no visa sponsorship");
    * a statement the rules read as transfer-only stays transfer-only (a narrower offer), even
      when it also refuses new petitions;
    * the evidence span is the rules' cue for that label when they have one, else the sentence;
    * where the rules gave a work-authorization label, or ruled a cue out (an unrelated sense, a
      negated requirement: "does not require a security clearance"), and the model disagrees with
      less than `override` probability, the rules' label stands (chosen by grouped CV, kept in the
      model file).
    """
    if not reading.gated or reading.heading:
        return None
    k = int(np.argmax(probs))
    label, p = classes[k], float(probs[k])
    ruled = reading.best.label if reading.best is not None else None
    ruled = "sponsors" if ruled == "transfer_only" else ruled
    vetoed = ruled == "unrelated" and (bool(reading.dropped) or any(reading.negated))
    if (ruled not in (None, "unrelated") or vetoed) and ruled != label and p < override:
        label, p = ruled, float(probs[classes.index(ruled)])
    gates = [f for f in reading.findings if f.label == "citizenship_or_clearance" and f.family in HARD_GATE_FAMILIES]
    transfers = [f for f in reading.findings if f.label == "transfer_only"]
    if label == "no_sponsorship" and gates:
        label = "citizenship_or_clearance"
    elif label in {"no_sponsorship", "unrelated"} and transfers:
        label = "sponsors"  # "we support H-1B transfers but will not file new petitions": a narrower offer
    same = [f for f in reading.findings if f.label == label or (label == "sponsors" and f.label == "transfer_only")]
    best = reading.best
    if best is not None and (best.label == label or (label == "sponsors" and best.label == "transfer_only")):
        chosen = best
    elif same:
        chosen = max(same, key=lambda f: f.confidence)
    else:
        chosen = None
    if label == "unrelated":
        if best is None:
            return None
        return Finding("unrelated", best.cue_start, best.cue_end, round(p, 3), "unrelated")
    if chosen is not None:
        out_label = "transfer_only" if chosen.label == "transfer_only" else label
        return Finding(out_label, chosen.cue_start, chosen.cue_end, round(p, 3), chosen.family,
                       chosen.restrictive, chosen.specific if out_label == "no_sponsorship" else False,
                       chosen.clearance_preferred)
    return Finding(label, 0, len(sentence), round(p, 3), "model")


MAX_CLASSIFIED = 400  # sentences per posting the model reads; past that (a hostile upload) the rules read alone


@dataclass
class SentenceClassifier:
    """The shipped model with the function that embeds sentences (the app's loaded Embedder)."""

    model: SentenceModel
    embed: Callable[[list[str]], np.ndarray]

    def classify(self, sentences: Sequence[str], readings: Sequence[Reading], lex: Lexicon) -> list[Finding | None]:
        """One finding per sentence; all sentences that pass the gate are embedded in one batch."""
        out: list[Finding | None] = [r.best for r in readings]
        todo = [i for i, r in enumerate(readings) if r.gated and not r.heading][:MAX_CLASSIFIED]
        if not todo:
            return out
        probs = self.probabilities([sentences[i] for i in todo], [readings[i] for i in todo], lex)
        for i, p in zip(todo, probs):
            out[i] = combine(sentences[i], readings[i], p, self.model.classes, self.model.override)
        return out

    def probabilities(self, sentences: Sequence[str], readings: Sequence[Reading], lex: Lexicon) -> np.ndarray:
        """Each distinct sentence is embedded once (boilerplate repeats; a hostile upload repeats one line)."""
        texts = [embed_text(s) for s in sentences]
        distinct = list(dict.fromkeys(texts))
        vectors = self.embed(distinct)
        row = {t: i for i, t in enumerate(distinct)}
        emb = vectors[[row[t] for t in texts]] if texts else vectors
        rules = np.vstack([rule_features(s, r, lex) for s, r in zip(sentences, readings)])
        return self.model.predict_proba(emb, rules)


@lru_cache(maxsize=1)
def default_classifier() -> SentenceClassifier | None:
    """The shipped weights with the process-wide embedder, or None (rules alone) when either is
    missing, or when `VISAPATH_POSTING_CLASSIFIER=false`."""
    from visapath.config import get_settings

    settings = get_settings()
    if not settings.posting_classifier:
        return None
    model = load_model(settings.posting_classifier_path)
    if model is None:
        return None
    try:
        from visapath.embeddings import get_embedder

        embedder = get_embedder(settings)
    except Exception:  # no model files: the rules still read every posting
        return None
    return SentenceClassifier(model, embedder.embed)
