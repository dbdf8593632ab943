"""Background jobs in tests: queued jobs run through the real worker code (core.jobs.work:
claim under a lease, execute, fenced progress), in this process and in the test's own
transaction, until the queue is empty. (No heartbeat thread: its own connection could not
see the test's uncommitted job; the progress saves renew the lease.)"""

from core import jobs


def run_jobs() -> int:
    """Run every queued job; returns how many runs there were."""
    return jobs.work(until_empty=True, heartbeat=False)
