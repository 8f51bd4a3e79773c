"""web/: the same reports over HTTP (FastAPI). Views render the report dict; no logic here."""
