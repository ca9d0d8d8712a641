"""The endpoints only IBM Cloudant has (``/_api/v2``): usage and billing, API keys, shared databases, CORS.

:class:`CloudantEndpoints` is a base class of :class:`~cloudant.client.Cloudant`;
its methods are documented there.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, cast

from ._endpoint import Endpoint
from ._params import check_usage_period
from ._types import JsonObject
from .error import CloudantArgumentError

__all__ = ["CloudantEndpoints"]


class CloudantEndpoints:
    """The methods of :class:`~cloudant.client.Cloudant` for Cloudant's ``/_api/v2`` endpoints.

    The client sets ``_endpoint`` (the server's root).
    """

    _endpoint: Endpoint

    # -- usage and billing ---------------------------------------------------------------------------------
    def bill(self, year: Optional[int] = None, month: Optional[int] = None) -> Dict[str, Any]:
        """Return billing data, optionally for one ``year`` and ``month`` (``GET /_api/v2/bill``)."""
        return self._usage("bill", year=year, month=month)

    def volume_usage(self, year: Optional[int] = None, month: Optional[int] = None) -> Dict[str, Any]:
        """Return data volume usage (``GET /_api/v2/usage/data_volume``)."""
        return self._usage("usage", "data_volume", year=year, month=month)

    def requests_usage(self, year: Optional[int] = None, month: Optional[int] = None) -> Dict[str, Any]:
        """Return request usage (``GET /_api/v2/usage/requests``)."""
        return self._usage("usage", "requests", year=year, month=month)

    def _usage(self, *segments: str, year: Any, month: Any) -> Dict[str, Any]:
        period = check_usage_period(year, month)
        if period is not None:
            segments += (str(period[0]), str(period[1]))
        return cast(JsonObject, self._api_v2(*segments).json())

    def _api_v2(self, *segments: str) -> Endpoint:
        return self._endpoint.child("_api", "v2", *segments)

    # -- API keys and sharing ------------------------------------------------------------------------------
    def generate_api_key(self) -> Dict[str, Any]:
        """Create an API key and password (``POST /_api/v2/api_keys``): ``{"key", "password", "ok"}``."""
        return cast(JsonObject, self._api_v2("api_keys").json("POST"))

    def shared_databases(self) -> List[str]:
        """Return the names of databases shared with this account (``GET /_api/v2/user/shared_databases``)."""
        return cast(List[str], self._api_v2("user", "shared_databases").json_object().get("shared_databases", []))

    # -- CORS ----------------------------------------------------------------------------------------------
    def cors_configuration(self) -> Dict[str, Any]:
        """Return the CORS configuration (``GET /_api/v2/user/config/cors``)."""
        return cast(JsonObject, self._api_v2("user", "config", "cors").json())

    def cors_origins(self) -> List[str]:
        """Return the allowed CORS origins."""
        return cast(List[str], self.cors_configuration().get("origins", []))

    def disable_cors(self) -> Dict[str, Any]:
        """Switch CORS off and clear the origins."""
        return self.update_cors_configuration(False, False, [], overwrite_origins=True)

    def update_cors_configuration(self, enable_cors: bool = True, allow_credentials: bool = True,
                                  origins: Optional[List[str]] = None,
                                  overwrite_origins: bool = False) -> Dict[str, Any]:
        """Change the CORS configuration (``PUT /_api/v2/user/config/cors``).

        With ``overwrite_origins`` the configuration becomes exactly what is
        given. Otherwise it is merged with the current one: ``["*"]`` replaces
        the origins, other origins are added to the current ones (in order,
        without duplicates).
        """
        if origins is not None and (not isinstance(origins, (list, tuple))
                                    or not all(isinstance(origin, str) for origin in origins)):
            raise CloudantArgumentError(117, "origins", "list of str")
        for name, flag in (("enable_cors", enable_cors), ("allow_credentials", allow_credentials)):
            if not isinstance(flag, bool):
                raise CloudantArgumentError(117, name, bool)
        new_origins = list(origins or [])
        if not overwrite_origins:
            current = self.cors_configuration().get("origins", [])
            if new_origins != ["*"]:
                new_origins = list(dict.fromkeys(list(current) + new_origins))
        body = {"enable_cors": enable_cors, "allow_credentials": allow_credentials, "origins": new_origins}
        return cast(JsonObject, self._api_v2("user", "config", "cors").json("PUT", json_body=body))
