"""Web plumbing shared by the apps that face people (portal, console, api, status, reports):
the language of a request (`language`), staff-only pages (`staff`), the staff navigation's
queues (`navigation`) and the policy's names in the viewer's language (`labels`).

The faces import this package and never each other; it stands on the domain (tickets) and the
policy, and imports no face."""
