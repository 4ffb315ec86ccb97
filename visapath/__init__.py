"""visapath: a private, offline-first job-search assistant for people who need a US work visa."""

__version__ = "0.1.0"
