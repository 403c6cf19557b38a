"""FHIR R4 in and out: a case read from a Bundle, and a case written as one.

    mapping.py            knowledge/fhir-mapping.yaml: models, checks, lookups
    bundle.py             a Bundle at the door: strict JSON, bounded, validated as R4
    read.py               Bundle -> case (with read_observations.py, read_treatments.py)
    write.py              case -> Bundle (``secondline export-fhir``)
    output.py             the assessment of a Bundle: ``input`` (provenance, not read)
    source.py             what the interfaces call: a case file or a Bundle, either way
    request_group.py      assessment -> a CPG RequestGroup Bundle (``assess --format fhir``)
    apply.py              ``$apply``: a Parameters resource (or a Bundle) in, that Bundle out

The engine never imports this package; the interfaces (CLI, web) and ``_cds_hooks``
do. Nothing here is
imported by ``import secondline``, and fhir.resources is imported only when a Bundle is
validated.
"""
