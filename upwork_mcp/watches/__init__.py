"""Watches: saved searches checked for new jobs, scored, and delivered once where the user is.

    watches = Watches(client, WatchStore(store), load_config(settings))
    result = await watches.check("python-apis")        # the jobs new since the last check

A watch reads the Jobs API feed (the default, built for polling) or Upwork's own job search. What it
reported is kept in the store, so a job is reported once across restarts, crashes and concurrent
runners; Upwork's data is pruned after 24 hours.
"""

from __future__ import annotations
