"""One module per `mtc-policygen` command, each `run(args) -> int` (pre-commit's `commands/*.py` shape).

generator/cli.py builds the parser and imports the one module the command line names, so `--help` and
`--version` load none of them; a module imports what only its command needs inside `run`.
"""
