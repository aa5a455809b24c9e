"""What a service refuses, in words for the editor."""

from __future__ import annotations

from kb.models import Claim


class Conflict(Exception):
    """The claim was saved by someone else since the editor loaded it."""

    def __init__(self, claim: Claim, submitted_version: int):
        self.claim = claim
        self.submitted_version = submitted_version
        super().__init__(
            f"Claim {claim.pk} is at version {claim.version}; the change was made on version "
            f"{submitted_version}."
        )


class Refused(ValueError):
    """A change the rules do not allow (e.g. publishing an ungraded claim); the message says why."""
