"""Seeded generator of the synthetic sample registry (see ``scripts/generate_sample.py``).

Modules, each small and single-purpose:

- ``rdf``          term helpers over ``registry.namespaces`` (pyoxigraph terms)
- ``writer``       the one place files are written (``registry.turtle.serialize``)
- ``chinese``      numerals, amounts and dates in legal Chinese
- ``creditcode``   GB 11714 / GB 32100 check characters
- ``laws``         the catalogue of cited laws and regulations (package)
- ``departments``  the 42 provincial departments and the assumed size/type table
- ``vocab``        per-department domain vocabularies (package)
- ``names``        candidate power names built from a domain's vocabulary
- ``titles_en``    English titles of the better-known powers
- ``routing``      which of a section's laws an act or name belongs to
- ``citations``    legal-basis citations: article, quote, raw text
- ``discretion``   penalty discretion tiers (裁量基准)
- ``duties``       responsibility stages and accountability (责任事项, 追责情形)
- ``departmentgen`` one department's powers: names, codes, statuses
- ``records``      power records as triples
- ``scale``        ``--records N``: scaled province, or province + cities and counties
- ``build``        orchestration and the printed summary
"""
