"""`python -m policydesk.cli`: the `policydesk` command."""

from policydesk.cli import main

main()
