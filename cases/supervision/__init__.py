"""Supervision: rules that look for misuse of support and neglect of cases in data however it
came in (API, admin, registry sync, legacy loads), the scan that records what they find as
findings, and their resolution. See README, "Supervision"."""
