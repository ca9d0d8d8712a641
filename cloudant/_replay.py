"""Sending a request again: what ``requests.Session.request`` was given, and whether its body can be resent."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

__all__ = ["keywords", "body_position", "rewind"]


def keywords(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """``requests.Session.request``'s positional arguments after ``url``, as keywords."""
    if args:
        kwargs.update(zip(("params", "data", "headers", "cookies", "files", "auth", "timeout"), args))
    return kwargs


def body_position(kwargs: Dict[str, Any]) -> Optional[int]:
    """Where a file-object body starts, so that a replay can rewind it."""
    data = kwargs.get("data")
    if data is not None and hasattr(data, "seek") and hasattr(data, "tell"):
        try:
            position: int = data.tell()
        except OSError:
            return None
        return position
    return None


def rewind(kwargs: Dict[str, Any], position: Optional[int]) -> bool:
    """Make the body sendable again; False for a one-shot body that cannot be."""
    data = kwargs.get("data")
    if data is None or isinstance(data, (bytes, bytearray, str, dict, list, tuple)):
        return True
    if position is not None:
        data.seek(position)
        return True
    return False
