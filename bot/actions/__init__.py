"""Custom actions of the Mostrador bot: KB answers, the ticket form, ticket creation and status."""
