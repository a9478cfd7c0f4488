"""Search across tickets, their conversation, files, requesters and organisations
(docs/search.md). Ask through `policydesk.search.service.find`."""
