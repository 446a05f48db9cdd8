"""Loaders: source files -> RDF -> SHACL gate -> one transactional write to the store."""
