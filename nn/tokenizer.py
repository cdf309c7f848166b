"""``CharTokenizer``: characters to token ids and back, with one beginning/end token (BOS).

The vocabulary is the sorted set of characters, ids ``0 .. len(chars) - 1``, then ``BOS`` =
``len(chars)`` = ``vocab_size - 1``, which both starts and ends a document: ``encode("ava")`` is
``[BOS, 0, 21, 0, BOS]`` for the names' 26 letters (vocab_size 27), as in microgpt. A model
trained on such sequences learns to predict the first letter after BOS and BOS after the
last letter, so a sample is generated from BOS until BOS comes out again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class CharTokenizer:
    """Sorted characters as ids 0..k-1 and BOS = k (vocab_size = k + 1)."""

    def __init__(self, chars: Iterable[str]) -> None:
        if not isinstance(chars, Iterable):
            raise TypeError(f"CharTokenizer takes a str or an iterable of characters, got "
                            f"{type(chars).__name__} {chars!r:.40}")
        given = set(chars)
        wrong = [c for c in given if not isinstance(c, str)]
        if wrong:
            raise TypeError(f"CharTokenizer takes characters (str of length 1), got "
                            f"{type(wrong[0]).__name__} {wrong[0]!r:.40}")
        unique = sorted(given)
        bad = [c for c in unique if len(c) != 1]
        if bad:
            raise ValueError(f"CharTokenizer takes single characters, got {bad[0]!r}")
        if not unique:
            raise ValueError("CharTokenizer needs at least one character")
        self.chars = "".join(unique)
        self.ids = {c: i for i, c in enumerate(self.chars)}
        self.bos = len(self.chars)

    @classmethod
    def from_docs(cls, docs: Iterable[str]) -> CharTokenizer:
        """The tokenizer of every character appearing in ``docs``."""
        return cls(c for doc in docs for c in doc)

    @property
    def vocab_size(self) -> int:
        """len(chars) + 1: the characters and BOS."""
        return len(self.chars) + 1

    def encode(self, doc: str) -> list[int]:
        """[BOS, id(c) for c in doc, BOS]"""
        try:
            return [self.bos, *[self.ids[c] for c in doc], self.bos]
        except KeyError as e:
            raise ValueError(f"character {e.args[0]!r} of {doc!r:.60} is not in the "
                             f"tokenizer's vocabulary {self.chars!r}") from None

    def decode(self, tokens: Sequence[int]) -> str:
        """The characters of ``tokens``, BOS left out."""
        out = []
        for t in tokens:
            if t == self.bos:
                continue
            if not 0 <= t < self.bos:
                raise ValueError(f"token id {t!r} is out of range for vocab_size = "
                                 f"{self.vocab_size}")
            out.append(self.chars[t])
        return "".join(out)

    def __repr__(self) -> str:
        return f"CharTokenizer({self.chars!r})"


def names_tokenizer() -> CharTokenizer:
    """The tokenizer of ``nn.datasets.names()``: a-z as 0..25, BOS = 26 (vocab_size 27)."""
    return CharTokenizer("abcdefghijklmnopqrstuvwxyz")
