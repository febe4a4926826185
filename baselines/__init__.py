"""Reference models behind the same interface as LE-MER (`lemer.interface.Model`)."""
