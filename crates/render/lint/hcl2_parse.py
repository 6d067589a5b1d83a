"""Parse every .tf/.tfvars file given as an argument with python-hcl2."""
import sys

import hcl2

failed = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as handle:
            hcl2.load(handle)
    except Exception as error:  # report every file, not just the first
        failed += 1
        print(f"{path}: {error}")
sys.exit(1 if failed else 0)
