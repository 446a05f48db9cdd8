"""Loaders: source files -> RDF, then the core's SHACL gate (``cckg.core.gate``) and writer
(``cckg.core.writer``): one transactional write to the store (``pipeline.Loader``)."""
