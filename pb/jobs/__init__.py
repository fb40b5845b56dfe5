"""Job handlers (``@jobs.job("kind")``): like CLI commands, they call services; the runner commits.

Importing this package registers every handler (done by :func:`pb.worker.init_app`). A feature
adds its handlers in a module here and imports it below; ``docs/jobs.md`` explains the API.
"""

from pb.jobs import address_register, notifications, results

__all__ = ["address_register", "notifications", "results"]
