"""sitemap.xml (django.contrib.sitemaps): every public page a search engine should know."""

from django.contrib.sitemaps import Sitemap
from django.db.models.fields.json import KT
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from kb.models import Claim, Compound, Source
from studies.models import Study


class PagesSitemap(Sitemap):
    def items(self):
        return ["home", "methodology", "changes", "data"]

    def location(self, item):
        return reverse(item)


class CompoundSitemap(Sitemap):
    def items(self):
        return Compound.objects.order_by("slug")


class ClaimSitemap(Sitemap):
    limit = 5000

    def items(self):
        claims = Claim.objects.published().annotate(published_at=KT("published__at"))
        return claims.only("pk", "updated_at").order_by("pk")

    def lastmod(self, claim):
        # When readers last saw the claim change: its publication, not an unpublished edit.
        return parse_datetime(claim.published_at or "") or claim.updated_at


class StudySitemap(Sitemap):
    limit = 5000

    def items(self):
        # Studies weighed for a published claim: the ones a reader can reach.
        published = Claim.objects.published()
        return (
            Study.objects.filter(evidence__claim__in=published)
            .distinct()
            .only("pk", "updated_at")
            .order_by("pk")
        )

    def lastmod(self, study):
        return study.updated_at


class SourceSitemap(Sitemap):
    def items(self):
        return Source.objects.only("pk").order_by("pk")


SITEMAPS = {
    "pages": PagesSitemap,
    "compounds": CompoundSitemap,
    "claims": ClaimSitemap,
    "studies": StudySitemap,
    "sources": SourceSitemap,
}
