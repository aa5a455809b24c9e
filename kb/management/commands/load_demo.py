from django.core.management.base import BaseCommand

from kb.demo import load_demo


class Command(BaseCommand):
    help = (
        "Load (or refresh) the Cerebrolysin demo: compound, seed article, studies, graded claims."
    )

    def handle(self, *args, **options):
        result = load_demo()
        self.stdout.write(
            f"Demo loaded: {result.compound.name}, {len(result.studies)} studies, "
            f"{result.claims} published claims from “{result.source.title}”."
        )
