"""sitemap.xml (django.contrib.sitemaps): every public page a search engine should know."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

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
        return Claim.objects.published().only("pk", "updated_at").order_by("pk")

    def lastmod(self, claim):
        return claim.updated_at


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
