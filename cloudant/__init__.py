"""Dict-style client for Apache CouchDB and IBM Cloudant."""
__version__ = "3.0.0.dev0"
