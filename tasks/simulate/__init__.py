"""`greencomm simulate`: the campaign replayed day by day on a fresh database, the flows' own steps."""

from tasks.simulate.replay import DeliveryPolicy, run_simulation

__all__ = [
    "DeliveryPolicy",
    "run_simulation",
]
