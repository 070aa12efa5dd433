"""The console's pages: thin handlers (parse → service → page). Each is wrapped by ``@page`` or ``@action``
(``server/console/context.py``), which resolve the caller and hold them to the role gate first."""
