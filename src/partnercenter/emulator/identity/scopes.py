"""Reading delegated scopes (v2 ``scope=``) and resources (v1 ``resource=``) into a grant."""

from __future__ import annotations

from ..._contract import aadsts
from ..._contract.wire import MS_GRAPH_RESOURCE, OIDC_SCOPES
from ..directory import Directory, Resource
from .errors import AadError

DEFAULT_PERMISSION = ".default"


def parse_v2_scopes(directory: Directory, scope: str) -> tuple[Resource, list[str], list[str]]:
    """(resource, delegated permissions, OpenID scopes) for a v2 ``scope`` string.

    One resource per request, as Azure AD requires; bare permissions (``User.Read``) and a
    scope list of only OpenID scopes mean Microsoft Graph.
    """
    oidc = [s for s in scope.split() if s in OIDC_SCOPES]
    wanted = [s for s in scope.split() if s not in OIDC_SCOPES]
    resource: Resource | None = None
    permissions: list[str] = []
    if not wanted:
        graph = directory.resource(MS_GRAPH_RESOURCE)
        if graph is None:
            raise AadError(aadsts.INVALID_SCOPE_GENERIC, scope=scope)
        return graph, ["User.Read"] if "User.Read" in graph.scopes else list(graph.scopes), oidc
    for item in wanted:
        if "/" in item:
            identifier, permission = item.rsplit("/", 1)
        else:
            identifier, permission = MS_GRAPH_RESOURCE, item
        found = directory.resource(identifier)
        if found is None:
            raise AadError(aadsts.RESOURCE_NOT_FOUND, resource=identifier, tenant="the tenant")
        if resource is not None and found is not resource:
            raise AadError(aadsts.INVALID_SCOPE_GENERIC, scope=scope)
        resource = found
        if permission == DEFAULT_PERMISSION:
            permissions.extend(p for p in found.scopes if p not in permissions)
        elif permission in found.scopes:
            if permission not in permissions:
                permissions.append(permission)
        else:
            raise AadError(aadsts.INVALID_SCOPE_GENERIC, scope=item)
    assert resource is not None
    return resource, permissions, oidc


def parse_v1_resource(directory: Directory, resource_id: str, tenant: str) -> Resource:
    found = directory.resource(resource_id)
    if found is None:
        raise AadError(aadsts.RESOURCE_NOT_FOUND, resource=resource_id, tenant=tenant)
    return found
