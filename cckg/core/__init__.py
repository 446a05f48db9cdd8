"""The ground floor: settings, IRIs, namespaces, the store, the query registry, the SHACL gate
and writer, matching and search. It imports neither ``cckg.loaders``, ``cckg.webapp`` nor
``cckg.cli``."""
