"""Identity and access (issue 11), asserted on both stacks: template.yaml after the SAM transform and
the synthesized CDK app. Who may call what is decided in two places: the gateway lets through only
tokens of this user pool (except on the public routes), the application checks scopes, groups and
ownership."""
import json

import pytest

from model import cdk_functions, http_api, identity, outputs, sam_functions

PUBLIC_ROUTES = {"GET /news", "GET /news/{id}", "GET /news/stats", "GET /news.atom", "GET /news.json", "GET /teams", "GET /stories", "GET /sources", "GET /health", "GET /openapi.json"}
ROUTES = PUBLIC_ROUTES | {
    "POST /users", "GET /users", "GET /users/me", "PATCH /users/me", "DELETE /users/me",
    "GET /users/{id}", "PATCH /users/{id}", "DELETE /users/{id}",
    "POST /users/me/subscriptions", "GET /users/me/subscriptions", "GET /users/me/subscriptions/{id}",
    "PATCH /users/me/subscriptions/{id}", "DELETE /users/me/subscriptions/{id}", "POST /users/me/subscriptions/{id}/test",
    "GET /users/me/subscriptions/{id}/deliveries",
    "POST /devices/{device_id}/metrics", "GET /devices/{device_id}/metrics", "GET /devices/{device_id}/metrics/summary",
}
WRITE_ROUTES = {"POST /users", "PATCH /users/me", "DELETE /users/me", "PATCH /users/{id}", "DELETE /users/{id}",
                "POST /users/me/subscriptions", "PATCH /users/me/subscriptions/{id}", "DELETE /users/me/subscriptions/{id}",
                "POST /users/me/subscriptions/{id}/test", "POST /devices/{device_id}/metrics"}
API_FUNCTIONS = {"news-api", "users-api", "metrics-api"}
ISSUER = "https://cognito-idp.${AWS::Region}.amazonaws.com/${UserPool}"
ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId", "ip": "$context.identity.sourceIp", "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod", "routeKey": "$context.routeKey", "status": "$context.status",
    "protocol": "$context.protocol", "responseLength": "$context.responseLength",
    "integrationLatency": "$context.integrationLatency", "authorizerError": "$context.authorizer.error",
}
IDENTITY_OUTPUTS = {"UserPoolId", "UserPoolArn", "WebClientId", "UserPoolDomain", "HostedUiUrl", "TokenEndpoint",
                    "IssuerUrl", "JwksUrl"}


class Stack:
    """One of the two stacks as plain CloudFormation, resolved for the staging stage."""

    def __init__(self, template, functions, **params):
        self.template, self.functions, self.params = template, functions, params

    def api(self):
        return http_api(self.template, **self.params)

    def identity(self):
        return identity(self.template, **self.params)

    def outputs(self):
        return outputs(self.template, **self.params)


@pytest.fixture(params=["sam", "cdk"])
def stack(request):
    if request.param == "sam":
        return Stack(request.getfixturevalue("sam_cfn"), sam_functions(request.getfixturevalue("sam")), Stage="staging")
    cdk = request.getfixturevalue("cdk")
    return Stack(cdk, cdk_functions(cdk))


def test_the_default_authorizer_is_the_user_pools_jwt(stack):
    api = stack.api()
    assert api["authorizers"] == {"CognitoJwt": {
        "type": "JWT",
        "identity_source": ["$request.header.Authorization"],
        "issuer": ISSUER,
        "audience": ["${WebClient}"],  # no "" when DeviceClientIds is empty
    }}


def test_exactly_the_public_routes_are_anonymous_and_every_other_route_needs_the_jwt(stack):
    routes = stack.api()["routes"]
    assert set(routes) == ROUTES
    assert {route for route, authorizer in routes.items() if authorizer is None} == PUBLIC_ROUTES
    for route in ROUTES - PUBLIC_ROUTES:
        assert routes[route] == "CognitoJwt", route


def test_no_route_demands_scopes_at_the_gateway(stack):
    """The web client's ID token has no scope claim: scopes, groups and ownership are the
    application's to check, so the gateway must not reject on scopes."""
    assert stack.api()["scoped_routes"] == {}


def test_cors_names_its_origins_and_allows_the_authorization_header(stack):
    cors = stack.api()["cors"]
    assert cors["origins"] == ["http://localhost:3000"]
    assert not any("*" in origin for origin in cors["origins"])
    assert "authorization" in cors["headers"] and "content-type" in cors["headers"]
    assert "if-match" not in cors["headers"] and "*" not in cors["headers"]
    assert cors["methods"] == ["DELETE", "GET", "OPTIONS", "PATCH", "POST"]
    assert cors["credentials"] is False
    assert cors["max_age"] > 0


def test_every_write_route_has_its_own_throttle_below_the_default(stack):
    api = stack.api()
    writes = {route for route in api["routes"] if route.split(" ")[0] in ("POST", "PUT", "PATCH", "DELETE")}
    assert writes == WRITE_ROUTES
    assert set(api["route_throttle"]) == WRITE_ROUTES
    default_burst, default_rate = api["default_throttle"]
    for route, (burst, rate) in api["route_throttle"].items():
        assert 0 < burst <= default_burst and 0 < rate <= default_rate, route


def test_access_logs_are_json_lines_to_a_log_group_with_retention(stack):
    log = stack.api()["access_log"]
    assert log is not None
    assert ACCESS_LOG_FIELDS.items() <= log["format"].items()
    assert log["destination"] == "${HttpApiAccessLogGroup.Arn}"
    assert log["log_group_name"] == "/aws/apigateway/nba-tracker-staging-http-api"
    assert log["retention_days"] == 30


def test_the_api_functions_reserve_concurrency(stack):
    functions = stack.functions
    assert {name for name, fn in functions.items() if fn["reserved"] == 10} == API_FUNCTIONS


def test_user_pool_signs_in_by_verified_email(stack):
    pools = stack.identity()["pools"]
    assert set(pools) == {"UserPool"}
    pool = pools["UserPool"]
    assert pool["username_attributes"] == ["email"] and pool["auto_verified"] == ["email"]
    assert pool["email_required"] and pool["case_sensitive"] is False
    assert pool["password_policy"]["MinimumLength"] >= 12
    assert pool["recovery"] == {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]}
    assert pool["deletion_policy"] == "Retain"


def test_the_web_client_is_public_and_uses_the_code_grant(stack):
    clients = stack.identity()["clients"]
    assert set(clients) == {"WebClient"}
    client = clients["WebClient"]
    assert client["pool"] == "${UserPool}"
    assert client["secret"] is False and client["oauth"] is True
    assert client["flows"] == ["code"]  # with PKCE: a public client has no secret to prove itself
    assert client["scopes"] == ["email", "openid", "profile"]
    assert client["identity_providers"] == ["COGNITO"]
    assert client["callback_urls"] == ["http://localhost:3000/"] and client["logout_urls"] == ["http://localhost:3000/"]
    assert "ALLOW_USER_PASSWORD_AUTH" not in client["auth_flows"]
    assert client["prevent_user_existence_errors"] == "ENABLED"


def test_the_metrics_resource_server_the_admin_group_and_the_hosted_ui_domain(stack):
    found = stack.identity()
    assert found["resource_servers"] == {"MetricsResourceServer": {"pool": "${UserPool}", "identifier": "metrics",
                                                                   "scopes": ["read", "write"]}}
    assert [group["name"] for group in found["groups"].values()] == ["admin"]
    assert found["groups"]["AdminGroup"]["pool"] == "${UserPool}"
    assert found["domains"] == {"AuthDomain": {"pool": "${UserPool}", "domain": "nba-tracker-staging-${AWS::AccountId}"}}


def test_identity_outputs(stack):
    found = stack.outputs()
    assert IDENTITY_OUTPUTS <= set(found)
    assert found["UserPoolId"] == "${UserPool}"
    assert found["UserPoolArn"] == "${UserPool.Arn}"
    assert found["WebClientId"] == "${WebClient}"
    assert found["UserPoolDomain"] == "${AuthDomain}"
    assert found["HostedUiUrl"] == "https://${AuthDomain}.auth.${AWS::Region}.amazoncognito.com"
    assert found["TokenEndpoint"] == found["HostedUiUrl"] + "/oauth2/token"
    assert found["IssuerUrl"] == ISSUER
    assert found["JwksUrl"] == ISSUER + "/.well-known/jwks.json"


def test_access_log_format_is_one_json_object(stack):
    """API Gateway writes the format as it is, with the $context variables filled in: it must be
    valid JSON with every value a string (so an empty variable still leaves valid JSON)."""
    fmt = stack.api()["access_log"]["format"]
    assert all(isinstance(v, str) and v.startswith("$context.") for v in fmt.values())
    assert json.dumps(fmt)
