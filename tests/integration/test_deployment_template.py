"""The packaged CloudFormation template (`make package`, merged from infra/resources.json).

Read from the real build (session fixture ``packaged``; cfn-lint already passed with no
check ignored): the public address, the alarms, the log groups, where the secrets come from,
the key's protection and what each function's role may do. A role that can reach anything
beyond its table, index, key, parameters, log group and failure queue fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config import SECRETS
from tests.conftest import REPO_ROOT

PARAMETER_ARN = (
    "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/permit-service/${Stage}/"
)
ANY_KEY_IN_ACCOUNT = {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"}
FUNCTION_ROLES = {
    "APIHandler": "ApiHandlerRole",
    "CancelUnpaid": "CancelUnpaidRole",
    "ReconcilePayments": "ReconcilePaymentsRole",
    "RefreshStatusList": "RefreshStatusListRole",
    "TableStream": "TableStreamRole",
    "PermitLifecycle": "PermitLifecycleRole",
}
API_ACTIONS = frozenset(
    {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",  # a revoked or refunded permit frees its plates
        "dynamodb:ConditionCheckItem",  # a plate must be free to apply for it
        "dynamodb:Query",
        "kms:Sign",
        "kms:GetPublicKey",
        "ssm:GetParameters",
        "kms:Decrypt",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
)
EXPECTED_ACTIONS = {
    "ApiHandlerRole": API_ACTIONS,
    # Issues the permits of payments whose webhook was lost: the API's table and key access,
    # and of the secrets only the Stripe key it polls with (checked by its own test).
    "ReconcilePaymentsRole": API_ACTIONS,
    # Rebuilds and signs the revocation list: its partition and its own key, nothing else.
    "RefreshStatusListRole": {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "kms:Sign",
        "kms:GetPublicKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    },
    # The table's stream: sends outbox mail (marks it sent) and rebuilds the list.
    "TableStreamRole": {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "kms:Sign",
        "kms:GetPublicKey",
        "ses:SendEmail",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    },
    # Reminders (marker + outbox), EXPIRED and anonymisation: the table and the end-day index.
    "PermitLifecycleRole": {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",  # the end-day index; an application's mails when anonymising
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    },
    "CancelUnpaidRole": {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "sqs:SendMessage",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    },
}


@pytest.fixture(scope="module")
def template(packaged: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((packaged / "sam.json").read_text())
    return loaded


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def _env(template: dict[str, Any], function: str) -> dict[str, Any]:
    variables: dict[str, Any] = template["Resources"][function]["Properties"]["Environment"][
        "Variables"
    ]
    return variables


def _statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        statement
        for policy in template["Resources"][role]["Properties"]["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- public address ------------------------------------------------------------------------


def test_the_service_answers_on_its_own_domain_at_the_root(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    pattern = parameters["DomainName"]["AllowedPattern"]
    assert re.fullmatch(pattern, "permits.musterstadt.de")
    for bad in (
        "Permits.Musterstadt.de",
        "https://permits.musterstadt.de",
        "permits",
        "permits.de/",
    ):
        assert not re.fullmatch(pattern, bad), bad
    assert re.fullmatch(
        parameters["CertificateArn"]["AllowedPattern"],
        "arn:aws:acm:eu-central-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
    )
    [(name, domain)] = _resources(template, "AWS::ApiGateway::DomainName").items()
    assert domain["Properties"]["DomainName"] == {"Ref": "DomainName"}
    assert domain["Properties"]["RegionalCertificateArn"] == {"Ref": "CertificateArn"}
    assert domain["Properties"]["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert domain["Properties"]["SecurityPolicy"] == "TLS_1_2"
    [mapping] = _resources(template, "AWS::ApiGateway::BasePathMapping").values()
    assert mapping["Properties"]["DomainName"] == {"Ref": name}
    assert mapping["Properties"]["RestApiId"] == {"Ref": "RestAPI"}
    assert "BasePath" not in mapping["Properties"]  # the root: no /api stage in any URL
    assert template["Resources"]["RestAPI"]["Properties"]["EndpointConfiguration"] == "REGIONAL"
    for function in FUNCTION_ROLES:
        assert _env(template, function)["PERMIT_PUBLIC_BASE_URL"] == {
            "Fn::Sub": "https://${DomainName}"
        }


# -- observability -------------------------------------------------------------------------


def _alarm(template: dict[str, Any], namespace: str, metric: str) -> dict[str, Any]:
    found = [
        alarm["Properties"]
        for alarm in _resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == namespace
        and alarm["Properties"].get("MetricName") == metric
    ]
    assert len(found) == 1, (namespace, metric)
    return found[0]


@pytest.mark.parametrize("metric", ["ServerErrors", "WebhooksRefused"])
def test_alarms_on_the_services_own_metrics(template: dict[str, Any], metric: str) -> None:
    """EMF metrics as the code emits them: namespace PermitService, one dimension Stage."""
    alarm = _alarm(template, "PermitService", metric)
    assert alarm["Dimensions"] == [{"Name": "Stage", "Value": {"Ref": "Stage"}}]
    assert alarm["Statistic"] == "Sum"
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert alarm["TreatMissingData"] == "notBreaching"


def test_an_alarm_on_the_5xx_rate_of_the_api(template: dict[str, Any]) -> None:
    alarm = _alarm(template, "AWS/ApiGateway", "5XXError")
    assert alarm["Statistic"] == "Average"  # the share of requests that failed
    assert 0 < alarm["Threshold"] < 1
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    rest_api = template["Resources"]["RestAPI"]["Properties"]
    assert dimensions["ApiName"] == rest_api["Name"] == rest_api["DefinitionBody"]["info"]["title"]
    assert dimensions["Stage"] == rest_api["StageName"]
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_a_failing_scheduled_job_alarms_and_leaves_its_event_behind(
    template: dict[str, Any],
) -> None:
    errors = {
        alarm["Properties"]["Dimensions"][0]["Value"]["Ref"]: alarm["Properties"]
        for alarm in _resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "Errors"
    }
    # Every scheduled job alarms when it fails; only the hourly canceller keeps failed
    # events (the reconciliation runs again in five minutes and starts from the table).
    assert set(errors) == {
        "CancelUnpaid",
        "ReconcilePayments",
        "RefreshStatusList",
        "TableStream",
        "PermitLifecycle",
    }
    for alarm in errors.values():
        assert alarm["Namespace"] == "AWS/Lambda"
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    [config] = _resources(template, "AWS::Lambda::EventInvokeConfig").values()
    assert config["Properties"]["FunctionName"] == {"Ref": "CancelUnpaid"}
    destination = config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"]
    queue = destination["Fn::GetAtt"][0]
    assert template["Resources"][queue]["Type"] == "AWS::SQS::Queue"
    backlog = _alarm(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert backlog["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}
    ]
    sends = [
        s for s in _statements(template, "CancelUnpaidRole") if "sqs:SendMessage" in s["Action"]
    ]
    assert [s["Resource"] for s in sends] == [destination]


def test_the_alarm_topic_mails_an_optional_address(template: dict[str, Any]) -> None:
    assert template["Resources"]["AlarmTopic"]["Type"] == "AWS::SNS::Topic"
    [subscription] = _resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""


def test_each_function_logs_to_its_own_group_with_retention(template: dict[str, Any]) -> None:
    retention = template["Parameters"]["LogRetentionDays"]
    assert retention["Default"] == 90
    groups = _resources(template, "AWS::Logs::LogGroup")
    seen = set()
    for function, role in FUNCTION_ROLES.items():
        group = template["Resources"][function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        logs = [
            s
            for s in _statements(template, role)
            if any(a.startswith("logs:") for a in s["Action"])
        ]
        assert len(logs) == 1
        assert sorted(logs[0]["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
        assert logs[0]["Resource"] == {"Fn::GetAtt": [group, "Arn"]}  # its own group only
        seen.add(group)
    assert seen == set(groups)


# -- secrets -------------------------------------------------------------------------------


def test_no_secret_is_a_parameter_or_an_environment_variable(template: dict[str, Any]) -> None:
    assert not [name for name, p in template["Parameters"].items() if p.get("NoEcho")]
    secret_variables = {secret.env for secret in SECRETS.values()}
    for function in FUNCTION_ROLES:
        assert secret_variables.isdisjoint(_env(template, function)), function


def _granted_parameters(template: dict[str, Any], role: str) -> tuple[list[Any], list[Any]]:
    reads = [s for s in _statements(template, role) if "ssm:GetParameters" in s["Action"]]
    decrypts = [s for s in _statements(template, role) if "kms:Decrypt" in s["Action"]]
    resources = [r for s in reads for r in _as_list(s["Resource"])]
    contexts = [
        arn
        for s in decrypts
        for arn in _as_list(s["Condition"]["StringEquals"]["kms:EncryptionContext:PARAMETER_ARN"])
    ]
    return resources, contexts


def test_each_function_reads_exactly_its_own_secrets(template: dict[str, Any]) -> None:
    api = _env(template, "APIHandler")
    assert api["PERMIT_SECRETS_PREFIX"] == {"Fn::Sub": "/permit-service/${Stage}"}
    names = api["PERMIT_SECRET_NAMES"].split(",")
    assert set(names) <= set(SECRETS)
    assert {"app-secret", "webhook-secrets", "staff-token-sha256"} <= set(names)
    expected = sorted(PARAMETER_ARN + name for name in names)
    resources, contexts = _granted_parameters(template, "ApiHandlerRole")
    assert sorted(r["Fn::Sub"] for r in resources) == expected
    assert sorted(c["Fn::Sub"] for c in contexts) == expected
    for statement in _statements(template, "ApiHandlerRole"):
        if "kms:Decrypt" in statement["Action"]:
            via = statement["Condition"]["StringEquals"]["kms:ViaService"]
            assert via == {"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"}
    # The canceller: no secret names, no grant.
    assert "PERMIT_SECRET_NAMES" not in _env(template, "CancelUnpaid")
    assert _granted_parameters(template, "CancelUnpaidRole") == ([], [])


# -- the data and the key ------------------------------------------------------------------


def test_the_table_cannot_be_deleted_by_accident(template: dict[str, Any]) -> None:
    table = template["Resources"]["PermitTable"]
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True
    }
    assert table["Properties"]["TimeToLiveSpecification"]["AttributeName"] == "expires_at"


def test_only_the_admin_role_may_delete_or_disable_the_signing_key(
    template: dict[str, Any],
) -> None:
    key = template["Resources"]["PermitSigningKey"]
    assert key["DeletionPolicy"] == "Retain"
    denies = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Effect"] == "Deny"]
    assert len(denies) == 1
    deny = denies[0]
    assert {"kms:ScheduleKeyDeletion", "kms:DisableKey"} <= set(deny["Action"])
    assert deny["Principal"] == {"AWS": "*"}
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": {"Ref": "KeyAdminRoleArn"}}}
    assert re.fullmatch(
        template["Parameters"]["KeyAdminRoleArn"]["AllowedPattern"],
        "arn:aws:iam::123456789012:role/permit-key-admin",
    )


def test_the_code_signs_through_the_keys_alias(template: dict[str, Any]) -> None:
    aliases = {
        alias["Properties"]["TargetKeyId"]["Ref"]: (name, alias)
        for name, alias in _resources(template, "AWS::KMS::Alias").items()
    }
    assert set(aliases) == {"PermitSigningKey", "StatusListSigningKey"}
    alias_name, alias = aliases["PermitSigningKey"]
    assert alias["Properties"]["AliasName"] == {"Fn::Sub": "alias/permit-service-${Stage}-signing"}
    assert _env(template, "APIHandler")["PERMIT_KMS_KEY_ID"] == {"Ref": alias_name}
    assert "PERMIT_KMS_KEY_ID" not in _env(template, "CancelUnpaid")  # it signs nothing
    list_alias, _ = aliases["StatusListSigningKey"]
    for function in ("APIHandler", "RefreshStatusList", "TableStream"):
        assert _env(template, function)["PERMIT_STATUS_KMS_KEY_ID"] == {"Ref": list_alias}
        assert "PERMIT_KMS_KEY_ID" not in _env(template, function) or function == "APIHandler"


def test_the_test_stages_cannot_be_deployed(template: dict[str, Any]) -> None:
    allowed = set(template["Parameters"]["Stage"]["AllowedValues"])
    assert "prod" in allowed
    assert allowed.isdisjoint({"local", "test"})
    for function in FUNCTION_ROLES:
        assert _env(template, function)["PERMIT_STAGE"] == {"Ref": "Stage"}


# -- least privilege -----------------------------------------------------------------------


def _allowed_resources(template: dict[str, Any], role: str) -> list[Any]:
    function = next(f for f, r in FUNCTION_ROLES.items() if r == role)
    log_group = template["Resources"][function]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    resources, _ = _granted_parameters(template, role)
    allowed = [
        {"Fn::GetAtt": ["PermitTable", "Arn"]},
        {"Fn::Sub": "${PermitTable.Arn}/index/GSI1"},
        {"Fn::Sub": "${PermitTable.Arn}/index/GSI3"},
        {"Fn::GetAtt": ["PermitSigningKey", "Arn"]},
        {"Fn::GetAtt": [log_group, "Arn"]},
        {"Fn::GetAtt": ["CancelUnpaidFailures", "Arn"]},
        {"Fn::GetAtt": ["StatusListSigningKey", "Arn"]},
        {"Fn::GetAtt": ["PermitTable", "StreamArn"]},
        {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"},
        ANY_KEY_IN_ACCOUNT,
    ]
    return allowed + resources


@pytest.mark.parametrize("role", sorted(EXPECTED_ACTIONS))
def test_each_role_may_do_only_what_its_code_calls(template: dict[str, Any], role: str) -> None:
    statements = _statements(template, role)
    actions = {action for s in statements for action in _as_list(s["Action"])}
    assert actions == EXPECTED_ACTIONS[role]
    allowed = _allowed_resources(template, role)
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        for resource in _as_list(statement["Resource"]):
            assert resource != "*", statement
            assert resource in allowed, (role, statement["Sid"], resource)
            if resource == ANY_KEY_IN_ACCOUNT:  # aws/ssm's id is unknown: Decrypt via SSM only
                assert statement["Action"] == ["kms:Decrypt"], statement
                assert "kms:ViaService" in statement["Condition"]["StringEquals"]


def test_the_indexes_are_only_queried(template: dict[str, Any]) -> None:
    indexes = [{"Fn::Sub": f"${{PermitTable.Arn}}/index/{name}"} for name in ("GSI1", "GSI3")]
    for role in EXPECTED_ACTIONS:
        for statement in _statements(template, role):
            if any(index in _as_list(statement["Resource"]) for index in indexes):
                assert statement["Action"] == ["dynamodb:Query"]


def test_only_the_lifecycle_job_reads_the_end_day_index(template: dict[str, Any]) -> None:
    end_days = {"Fn::Sub": "${PermitTable.Arn}/index/GSI3"}
    readers = {
        role
        for role in FUNCTION_ROLES.values()
        for statement in _statements(template, role)
        if end_days in _as_list(statement["Resource"])
    }
    assert readers == {"PermitLifecycleRole"}


def test_every_function_runs_under_a_role_defined_in_the_template(template: dict[str, Any]) -> None:
    """One definition of the roles: infra/resources.json, no .chalice/policy-*.json."""
    for function, role in FUNCTION_ROLES.items():
        assert template["Resources"][function]["Properties"]["Role"] == {
            "Fn::GetAtt": [role, "Arn"]
        }
        assert template["Resources"][role]["Type"] == "AWS::IAM::Role"
    functions = _resources(template, "AWS::Serverless::Function")
    assert set(functions) == set(FUNCTION_ROLES)
    assert not list((REPO_ROOT / ".chalice").glob("policy-*.json"))


# -- staff sign-in (issue 12): the Cognito user pool the API trusts ----------------------


def test_staff_sign_in_is_a_cognito_pool_with_code_flow_secret_and_role_groups(
    template: dict[str, Any],
) -> None:
    from chalicelib.config import DEFAULT_STAFF_GROUPS

    (pool_name,) = _resources(template, "AWS::Cognito::UserPool")
    pool = template["Resources"][pool_name]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True  # no self sign-up
    assert pool["MfaConfiguration"] == "ON"
    assert pool["DeletionProtection"] == "ACTIVE"
    (client_name,) = _resources(template, "AWS::Cognito::UserPoolClient")
    client = template["Resources"][client_name]["Properties"]
    assert client["UserPoolId"] == {"Ref": pool_name}
    assert client["GenerateSecret"] is True
    assert client["AllowedOAuthFlows"] == ["code"]  # authorization code (PKCE: sent by us)
    assert client["AllowedOAuthScopes"] == ["openid"]  # no profile, no e-mail
    assert client["CallbackURLs"] == [{"Fn::Sub": "https://${DomainName}/staff/signin/callback"}]
    (domain,) = _resources(template, "AWS::Cognito::UserPoolDomain").values()
    assert domain["Properties"]["UserPoolId"] == {"Ref": pool_name}
    groups = {
        g["Properties"]["GroupName"]
        for g in _resources(template, "AWS::Cognito::UserPoolGroup").values()
        if g["Properties"]["UserPoolId"] == {"Ref": pool_name}
    }
    assert groups == {group for _, group in DEFAULT_STAFF_GROUPS}
    api = _env(template, "APIHandler")
    assert api["PERMIT_OIDC_ISSUER"] == {
        "Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${" + pool_name + "}"
    }
    assert api["PERMIT_OIDC_CLIENT_ID"] == {"Ref": client_name}
    assert api["PERMIT_OIDC_GROUPS_CLAIM"] == "cognito:groups"
    # The client secret comes from SSM like every secret, never from the template.
    assert "oidc-client-secret" in api["PERMIT_SECRET_NAMES"].split(",")
    assert "ClientSecret" not in json.dumps(template["Resources"]["APIHandler"])
