"""Atom feeds of verdict changes (Django's syndication framework), site-wide and per compound."""

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from kb.history import site_changelog
from kb.models import Compound


class VerdictChangesFeed(Feed):
    feed_type = Atom1Feed
    subtitle = "Every change to a published claim's verdict, with the editors' reason."

    def get_object(self, request, slug=None):
        return get_object_or_404(Compound, slug=slug) if slug else None

    def title(self, compound):
        base = "Evidence KB: verdict changes"
        return f"{base} for {compound.name}" if compound else base

    def link(self, compound):
        if compound:
            return reverse("compound-changes", args=[compound.slug])
        return reverse("changes")

    def items(self, compound):
        return site_changelog(compound=compound, limit=50)

    def item_title(self, item):
        return f"{item.change.old} → {item.change.new}: {item.claim.statement[:120]}"

    def item_description(self, item):
        reason = item.change.reason or "No reason recorded."
        return f"{item.claim.compound.name}. {reason} (Published by {item.change.credit}.)"

    def item_link(self, item):
        return item.claim.get_absolute_url()

    def item_guid(self, item):
        return f"{item.claim.get_absolute_url()}#change-{item.change.when.isoformat()}"

    item_guid_is_permalink = False

    def item_updateddate(self, item):
        return item.change.when

    def item_pubdate(self, item):
        return item.change.when
