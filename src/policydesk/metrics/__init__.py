"""`/metrics` in the Prometheus text format: what the database says of the whole desk (tickets,
mail, tasks, SLA timers, pages, heartbeats: the same on every host, read at scrape time) and this
process's request latency by view."""
