"""The call flow: the engine, its actions' dispatch, per-call state, effects and drivers.

Sans-IO: nothing here touches a socket, a file or the database."""
