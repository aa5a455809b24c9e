"""The editors' workbench: the review queue and the inline grading of one claim (issue 5)."""
