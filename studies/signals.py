"""Signals `studies` sends so that other apps can react without `studies` knowing them."""

from django.dispatch import Signal

# Sent once when a stored study changes from not retracted to retracted; kwargs: study.
study_retracted = Signal()
