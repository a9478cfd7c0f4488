"""Running the desk: heartbeats of its long-running processes and the health endpoints a load
balancer asks (`/healthz`, `/readyz`)."""
