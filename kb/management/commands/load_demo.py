from django.core.management.base import BaseCommand

from kb.demo import load_demo


class Command(BaseCommand):
    help = (
        "Load (or refresh) the Cerebrolysin demo: compound, seed article, studies, graded claims."
    )

    def handle(self, *args, **options):
        result = load_demo()
        for quote in result.missing:
            self.stderr.write(f"Curated sentence not found by the article importer: {quote!r}")
        self.stdout.write(
            f"Demo loaded: {result.compound.name}, {len(result.studies)} studies, "
            f"{result.claims} published claims made by {result.appearances} sentences of "
            f"“{result.source.title}”."
        )
