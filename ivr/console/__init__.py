"""The web console for dispatchers, supervisors and admins (``ivr console``).

Server-rendered pages on aiohttp with Jinja2 templates, in Ukrainian; no JavaScript is
needed (the live page refreshes itself with a ``<meta http-equiv="refresh">``). Every page
and form goes through ``ivr.console.web``: the session, the role's permission and the CSRF
token are checked there once, and the database work runs on a thread pool, never on the
event loop. One module of views per page: ``live``, ``outage_views``, ``appeal_views``,
``report_views``, ``config_views`` (with ``config_check``), ``user_views`` (users and the
audit log); ``auth`` signs people in and out; ``app`` lists them. The words: ``labels``
(Ukrainian names of stored values), ``formatting`` (the templates' filters), ``masking``.
"""
