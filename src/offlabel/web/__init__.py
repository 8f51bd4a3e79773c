"""web/: the same reports over HTTP (FastAPI). Views render the report dict; no logic here."""

__all__ = ["create_app"]


def __getattr__(name: str) -> object:
    # FastAPI is imported only when the web app is wanted, never by the CLI's other commands.
    if name == "create_app":
        from offlabel.web.app import create_app

        return create_app
    raise AttributeError(name)
