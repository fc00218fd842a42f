"""Bank statements in (camt.053, Sparkasse CSV-CAMT, MT940) and SEPA direct debits out."""
