"""The fake bank behind the sandbox: institutions, test users and their accounts."""
