"""`python -m tmapi_search` runs the `tmapi-search` CLI."""

from tmapi_search.cli import main

main()
