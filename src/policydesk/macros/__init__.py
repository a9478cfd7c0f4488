"""Macros (canned responses, issue 13): a reply text in English and Japanese with placeholders,
and optional changes to the ticket, applied from the console's composer or the API.

An app of its own above `promises` (a macro's `{{ promise }}` is the customer's promise sentence)
and beside `mail`: `tickets` cannot import `promises`, so the macros cannot live there."""
