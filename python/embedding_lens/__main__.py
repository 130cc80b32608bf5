"""`python -m embedding_lens info | train | embed | analyze` (see python/README.md)."""
from __future__ import annotations

import sys

USAGE = "usage: python -m embedding_lens info | train CONFIG.m2mix.json [--overrides JSON] | embed --model JSON --data FILE.csv --out FILE.safetensors | analyze FILE [FILE2] [--json]"


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command == "info":
        from .info import main as info

        return info()
    if command == "train":
        from .train_command import main as train

        return train(rest)
    if command == "analyze":
        from .analyze_command import main as analyze

        return analyze(rest)
    if command == "embed":
        from .embed import main as embed

        return int(embed(rest) or 0)
    sys.stderr.write(USAGE + "\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
