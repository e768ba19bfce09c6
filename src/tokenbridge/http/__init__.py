"""Plaid's wire format: parse a request, call one service method, serialise the reply."""
