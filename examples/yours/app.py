"""A tiny app: reads a YAML config and prints when it was last deployed."""

import sys

import yaml
from dateutil import parser

CONFIG = """
name: demo
deployed: 2026-12-01T09:30:00Z
"""


def main() -> int:
    config = yaml.safe_load(CONFIG)
    deployed = parser.isoparse(str(config["deployed"]))
    print(f"{config['name']} deployed {deployed:%Y-%m-%d %H:%M}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
