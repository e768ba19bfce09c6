"""The rules of Plaid's processor token system: no HTTP, no SQL, no framework."""
