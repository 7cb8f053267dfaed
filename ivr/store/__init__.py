"""Storage: the call and appeal records (defined once), the journal, the recorders, the
database models and repository, report queries, migrations, appeal numbers and retention.

This package's ``__init__`` imports nothing: process AGI reads the records and the journal
without loading SQLAlchemy."""
