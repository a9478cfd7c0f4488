"""Signals sent by the actions, inside their transaction: receivers (mail, SLA watch)
enqueue tasks in the same transaction, so a change and its consequences commit together."""

from django.dispatch import Signal

ticket_opened = Signal()  # ticket, decision
request_deflected = Signal()  # deflection, decision
agent_replied = Signal()  # ticket, message, first_response
customer_replied = Signal()  # ticket, message
ticket_changed = Signal()  # ticket, change
meeting_decided = Signal()  # meeting (C7: a one-off call proposed or declined)
