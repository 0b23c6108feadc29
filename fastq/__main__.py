"""``python -m fastq``: the same as the ``fastq`` command (:mod:`fastq.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
