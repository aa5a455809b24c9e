"""`manage.py generate_scale_data`: the synthetic knowledge-base-scale data set (kb.scale_data)
the benchmarks run on. Meant for a database of its own (make bench uses `kb_bench`)."""

import time
from dataclasses import fields

from django.core.management.base import BaseCommand, CommandError

from kb.models import Compound
from kb.scale_data import SLUG_PREFIX, Sizes, generate


class Command(BaseCommand):
    help = (
        "Write a seeded, synthetic data set (no PMIDs or DOIs; every row marked generated) of "
        "the given sizes with COPY, in one transaction. Use an empty database of its own."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        for f in fields(Sizes):
            option = "--" + f.name.replace("_", "-")
            parser.add_argument(option, type=int, default=f.default, help=f"default {f.default}")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing (and succeed) when generated data is already there",
        )

    def handle(self, *args, seed, if_missing, **options):
        if if_missing and Compound.objects.filter(slug__startswith=SLUG_PREFIX).exists():
            self.stdout.write("Generated data is already there; nothing written.")
            return
        sizes = Sizes(**{f.name: options[f.name] for f in fields(Sizes)})
        start = time.perf_counter()
        try:
            result = generate(sizes, seed=seed)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Generated (seed {seed}) in {time.perf_counter() - start:.0f} s: {result.summary()}."
        )
