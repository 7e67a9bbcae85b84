"""What the desk reads and writes: acknowledgements, what is pending, a reader's items."""

from tasks.desk.actions import campaign_answers

__all__ = [
    "campaign_answers",
]
