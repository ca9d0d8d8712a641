"""Catalogue of the messages raised for local misuse, keyed by stable codes.

Each section belongs to one exception class of :mod:`cloudant.error`. Codes are
kept from python-cloudant 2.x so that programs branching on ``exc.status_code``
keep working; a code's ``{0}``/``{1}`` placeholders take the positional
arguments given when the exception is raised.
"""
from __future__ import annotations

from typing import Dict

Catalogue = Dict[int, str]

GENERIC: Catalogue = {100: "A general Cloudant exception was raised."}

ARGUMENT_ERROR: Catalogue = {
    100: "A general Cloudant argument error was raised.",
    101: "Invalid year and/or month supplied.  Found: year - {0}, month - {1}",
    102: "Invalid role(s) provided: {0}.  Valid roles are: {1}",
    103: 'Invalid index type: {0}.  Index type must be either "json" or "text".',
    104: "A single query/q parameter is required.  Found: {0}",
    105: "Invalid argument: {0}",
    106: "Argument {0} is not an instance of expected type: {1}",
    107: "View {0} already exists in this design doc.",
    108: "An index with name {0} already exists in this design doc.",
    109: "A list with name {0} already exists in this design doc.",
    110: "A show function with name {0} already exists in this design doc.",
    111: "View {0} does not exist in this design doc.",
    112: "An index with name {0} does not exist in this design doc.",
    113: "A list with name {0} does not exist in this design doc.",
    114: "A show function with name {0} does not exist in this design doc.",
    115: "Error converting argument {0}: {1}",
    116: "Invalid argument {0}",
    117: "Argument {0} not instance of expected type: {1}",
    118: "Argument {0} must be > 0.  Found: {1}",
    119: "Invalid value ({0}) for feed option.  Must be one of {1}",
    120: "Invalid value ({0}) for style option.  Must be main_only, or all_docs.",
    121: "Invalid infinite feed option: {0}.  Must be set to continuous.",
    122: "The design document id: {0} is not a string.",
    123: "The index name: {0} is not a string.",
    124: "{0} provided as argument(s).  A JSON index requires that only a 'fields' argument is provided.",
    125: "Deleting an index requires a design document id be provided.",
    126: "Deleting an index requires an index name be provided.",
    127: "Invalid argument: {0}",
    128: "Argument {0} is not an instance of expected type: {1}",
    129: "Invalid argument: {0}",
    130: "Argument {0} is not an instance of expected type: {1}",
    131: "No selector in the query or the selector was empty.  Add a selector to define the query and retry.",
    132: "The map property must be a dictionary.",
    133: "The reduce property must be a string.",
    134: "Key list element not of expected type: {0}",
    135: "Invalid value for stale option {0} must be ok or update_after.",
    136: "Error converting argument {0}: {1}",
    137: "Invalid document ID: {0}",
    138: "Invalid attachment name: {0}",
    139: "Conflicting arguments: {0} cannot be used with {1}.",
    140: "Invalid database name: {0!r}. A name starts with a lowercase letter and holds only lowercase "
         "letters, digits and _ $ ( ) + - /, at most 238 characters.",
    141: "Invalid partition key: {0!r}. A partition key is a non-empty string that does not start with _ and "
         "holds no colon.",
    142: "Argument {0} must be >= 0.  Found: {1}",
    143: "Argument {0} must be one of {1}. Found: {2}",
    146: "use_index must be a design document id or a [design document id, index name] list. Found: {0}",
}

CLIENT: Catalogue = {
    100: "A general Cloudant client exception was raised.",
    101: "Value must be set to a Database object. Found type: {0}",
    102: "You must provide a url or an account.",
    103: "Invalid service: IAM API key or username/password credentials are required.",
    104: "The client is not connected: call connect() or use the client as a context manager first.",
    106: "Invalid configuration for service {0}: {1}",
    404: "Database {0} does not exist. Verify that the client is valid and try again.",
    412: "Database {0} already exists.",
}

DATABASE: Catalogue = {
    100: "A general Cloudant database exception was raised.",
    101: "Unexpected index type. Found: {0}",
    102: "{0} of {1} documents failed in a bulk write: {2}",
    400: "Invalid database name during creation. Found: {0}",
    401: "Unauthorized to create database {0}",
    409: "Document with id {0} already exists.",
    412: "Database {0} already exists.",
}

DESIGN_DOCUMENT: Catalogue = {
    100: "A general Cloudant design document exception was raised.",
    101: "Cannot add a MapReduce view to a design document for query indexes.",
    102: "Cannot update a query index view using this method.",
    103: "Cannot delete a query index view using this method.",
    104: "View {0} must be of type View.",
    105: "View {0} must be of type QueryIndexView.",
    106: "Function for search index {0} must be of type string.",
    107: "Definition for query text index {0} must be of type dict.",
}

DOCUMENT: Catalogue = {
    100: "A general Cloudant document exception was raised.",
    101: "A document id is required to fetch document contents. Add an _id key and value to the document and "
         "re-try.",
    102: "The field {0} is not a list.",
    103: "Attempting to delete a doc with no _rev. Try running .fetch and re-try.",
    104: "The update of field {0} of document {1} still conflicted after {2} tries.",
    105: "Attempting to delete attachment {0} of a doc with no _rev. Try running .fetch and re-try.",
}

FEED: Catalogue = {
    100: "A general Cloudant feed exception was raised.",
    101: "Infinite _db_updates feed not supported for CouchDB.",
    102: "The feed could not be resumed after {0} consecutive failures: {1}",
    103: "Malformed line in the feed: {0!r}",
}

INDEX: Catalogue = {
    100: "A general Cloudant index exception was raised.",
    101: 'Creating the "special" index is not allowed.',
    102: 'Deleting the "special" index is not allowed.',
}

REPLICATOR: Catalogue = {
    100: "A general Cloudant replicator exception was raised.",
    101: "You must specify either a source_db Database object or a manually composed 'source' string/dict.",
    102: "You must specify either a target_db Database object or a manually composed 'target' string/dict.",
    404: "Replication with id {0} not found.",
}

RESULT: Catalogue = {
    100: "A general result exception was raised.",
    101: "Failed to interpret the argument {0} as a valid key value or as a valid slice.",
    102: "Cannot use {0} when performing key access or key slicing. Found {1}",
    103: "Cannot use {0} for iteration. Found {1}",
    104: "Invalid page_size: {0}",
    105: "Paging cannot progress: the server answered again from the first row of key {0!r}.",
    106: "The response holds no {0!r} list: {1!r}",
}

VIEW: Catalogue = {
    100: "A general view exception was raised.",
    101: "A QueryIndexView is not callable.  If you wish to execute a query use the database "
         "'get_query_result' convenience method.",
    102: "Cannot create a custom result context manager using a QueryIndexView.  If you wish to execute a "
         "query use the database 'get_query_result' convenience method instead.",
}
