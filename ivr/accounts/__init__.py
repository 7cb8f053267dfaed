"""The customer registry: personal accounts, EIC codes, phone numbers on record, addresses and
ГПВ groups; how a caller is recognised. This is personal data: logs mask it."""
