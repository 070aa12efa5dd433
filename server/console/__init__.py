"""The coordinators' console 联户工作台 (issue 7): server-rendered pages under ``/console/`` for grid leaders,
community and street offices, on the same origin, sessions and Content-Security-Policy as the member app.

- ``context.py``  the gate every page passes: session → role → scope → language; forms with CSRF
- ``pages/``      thin handlers; ``services/`` what they show and do; ``templates/``, ``static/``, ``i18n/``
- ``routes.py``   the URL table ``server/app.py`` mounts

See docs/console.md.
"""

from __future__ import annotations

from server.console.routes import routes

__all__ = ["routes"]
