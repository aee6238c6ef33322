"""Use cases: each owns its transactions (verification, matching, issuing, bulk issue, earner import, claims,
sharing, auth, demo, start-up)."""
