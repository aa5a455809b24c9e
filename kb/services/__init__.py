"""Writes to the knowledge base, one function per change an editor or an import makes.

These functions are the only writers of claims, their evidence and their grades. Each runs in one
transaction and names every side effect in its body: nothing is derived in `Model.save()` and no
signal chain writes behind it. A claim's grade (computed verdict, verdict, certainty, flags) is a
function of its evidence and judgements, stored for reading; every service that changes an input
ends by calling `kb.services.grades.regrade` once. A bulk `QuerySet.update()` of those inputs
outside these services would leave a stale grade: do not write one.
"""
