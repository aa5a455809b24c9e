"""Signals `studies` sends so that other apps can react without `studies` knowing them."""

from django.dispatch import Signal

# Sent by studies' writers (the importer, the admin) after a stored study's design or retraction
# changed, inside the writer's transaction; kwargs: study, fields (the names of those that
# changed: "design", "retracted"), user (or None).
study_changed = Signal()

# The fields of a study that other apps' derived data depend on.
WATCHED_FIELDS = frozenset({"design", "retracted"})
