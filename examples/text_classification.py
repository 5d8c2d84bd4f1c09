"""
Text classification: tf-idf in a pipeline, and out of core with the hashing trick
==================================================================================

A corpus is generated at run time (no downloads): documents about four topics, each
topic a Zipf distribution over its own words mixed with a larger pool of words every
topic shares, so that most of a document's tokens say nothing about its topic. It is
written to a temporary file, one ``topic<TAB>text`` line per document, and classified
twice:

* in memory: ``make_pipeline(TfidfVectorizer(), SGDClassifier(loss="log_loss"))``
  fitted on a train split and scored on the test split (the log loss, so that
  ``predict_proba`` gives each topic's probability);
* out of core: the file is read in chunks of lines, each chunk turned into features by
  a stateless ``HashingVectorizer`` (no vocabulary to fit, so nothing ever holds the
  whole corpus) and passed to ``SGDClassifier.partial_fit``; the first chunk is kept
  aside as the held-out set.

Both print the test accuracy and the throughput in documents per second.

Run: ``python examples/text_classification.py``
"""

import tempfile
import time
from itertools import islice
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from sklosses import SGDClassifier

TOPICS = ["sport", "music", "science", "travel"]
N_DOCUMENTS, CHUNK = 6_000, 1_000
TOPIC_WORDS, SHARED_WORDS = 1_000, 10_000
TOPIC_SHARE = 0.08  # the fraction of a document's tokens drawn from its topic's own words
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def make_words(rng, count):
    """``count`` distinct made-up words of 2-4 syllables."""
    words = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES, size=rng.integers(2, 5))))
    return sorted(words)


def zipf_sampler(rng, words):
    """Draws of ``words`` with probability ~ 1 / rank (Zipf's law), in a random rank order."""
    ranked = np.asarray(words)[rng.permutation(len(words))]
    cumulative = np.cumsum(1.0 / np.arange(1, len(words) + 1))
    return lambda size: ranked[np.searchsorted(cumulative, rng.random(size) * cumulative[-1])]


def write_corpus(path, rng):
    """Write ``N_DOCUMENTS`` lines ``topic<TAB>text`` of 30-150 tokens each."""
    vocabulary = make_words(rng, SHARED_WORDS + len(TOPICS) * TOPIC_WORDS)
    shared = zipf_sampler(rng, vocabulary[:SHARED_WORDS])
    own = [
        zipf_sampler(rng, vocabulary[SHARED_WORDS + k * TOPIC_WORDS :][:TOPIC_WORDS])
        for k in range(len(TOPICS))
    ]
    with open(path, "w") as file:
        for topic in rng.integers(len(TOPICS), size=N_DOCUMENTS):
            length = rng.integers(30, 151)
            n_topic = rng.binomial(length, TOPIC_SHARE)
            tokens = np.concatenate([own[topic](n_topic), shared(length - n_topic)])
            file.write(f"{TOPICS[topic]}\t{' '.join(rng.permutation(tokens))}\n")


def read_lines(lines):
    """``(texts, topics)`` of ``topic<TAB>text`` lines."""
    topics, texts = zip(*(line.rstrip("\n").split("\t") for line in lines), strict=True)
    return list(texts), np.array(topics)


def in_memory(path):
    """Tf-idf and ``SGDClassifier`` in a pipeline, on a train/test split of the file."""
    with open(path) as file:
        texts, topics = read_lines(file)
    train_texts, test_texts, train_topics, test_topics = train_test_split(
        texts, topics, test_size=0.25, random_state=0
    )
    model = make_pipeline(TfidfVectorizer(), SGDClassifier(loss="log_loss", random_state=0))
    start = time.perf_counter()
    model.fit(train_texts, train_topics)
    seconds = time.perf_counter() - start
    accuracy = model.score(test_texts, test_topics)
    features = len(model[0].vocabulary_)
    print(
        f"pipeline (TfidfVectorizer, {features:,} terms -> SGDClassifier): test accuracy "
        f"{accuracy:.3f}; fit {len(train_texts) / seconds:,.0f} documents/s"
    )


def out_of_core(path):
    """``HashingVectorizer`` and ``SGDClassifier.partial_fit``, one chunk of lines at a time."""
    vectorizer = HashingVectorizer(n_features=2**18)
    model = SGDClassifier(loss="log_loss", random_state=0)
    with open(path) as file:
        held_out_texts, held_out_topics = read_lines(islice(file, CHUNK))
        X_held_out = vectorizer.transform(held_out_texts)
        seen, seconds = 0, 0.0
        while chunk := list(islice(file, CHUNK)):
            start = time.perf_counter()
            texts, topics = read_lines(chunk)
            model.partial_fit(vectorizer.transform(texts), topics, classes=TOPICS)
            seconds += time.perf_counter() - start
            seen += len(texts)
            accuracy = model.score(X_held_out, held_out_topics)
            print(f"  {seen:>6,} documents: held-out accuracy {accuracy:.3f}")
    print(
        f"out of core (HashingVectorizer 2**18 -> partial_fit, chunks of {CHUNK:,}): held-out "
        f"accuracy {accuracy:.3f}; "
        f"{seen / seconds:,.0f} documents/s (parsing, hashing and learning)"
    )


def main():
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "corpus.tsv"
        write_corpus(path, rng)
        size = path.stat().st_size / 2**20
        print(f"wrote {N_DOCUMENTS:,} documents about {len(TOPICS)} topics ({size:.1f} MiB)")
        in_memory(path)
        out_of_core(path)


if __name__ == "__main__":
    main()
