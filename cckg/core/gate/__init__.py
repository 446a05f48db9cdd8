"""The SHACL gate every write passes: parsed sources in, located violations out.

``model.py`` is what the gate takes and returns (``ParsedSource``, ``Location``,
``SourceError``, ``Violation``); ``check.py`` the gate itself (``Gate``), with the shapes and
ontology of ``shapes.py`` and the linked nodes' types of ``context.py``. The fast SHACL engine
is ``engine.py`` (its API), ``compiler.py`` + ``constraints.py`` (shapes -> SPARQL),
``compiled.py`` (the compiled form), ``run.py`` (one validation run) and ``forked.py`` (half a
run in a child process); ``pyshacl_check.py`` is the pySHACL reference path and
``validate.py`` the batch-wise validation of one source. ``oxgraph.py`` holds a source's
triples in pyoxigraph, ``ntriples.py`` writes rdflib graphs as N-Triples, ``datatypes.py``
decides ill-typed literals, ``content.py`` is the content hash and ``report.py`` the Turtle
rejection report.
"""
