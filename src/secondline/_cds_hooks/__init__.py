"""CDS Hooks 2.0: discovery, ``patient-view`` cards from the one engine, feedback, and
the EHR's JWT checked against a trust file. Imports the engine and ``_fhir`` only; the
web layer adds the routes and the case store."""
