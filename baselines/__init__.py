"""Reference models behind the same interface as LE-MER (`lemer.core.contract.Model`)."""
