"""The SAM template's security and wiring, read from the template itself (issue 7, section 1).

The template is parsed with cfn-lint's decoder (it understands !Ref, !Sub, !GetAtt, !If). Statements guarded by
the KMS condition are checked with the condition both ways.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml
from support.dialect_requests import FIXTURES

from infra.package import LAMBDA_PYTHON, LAMBDAS
from local_only.cors import ALLOWED_HEADERS, EXPOSED_HEADERS, MAX_AGE_SECONDS
from local_only.serve import ROUTE_METHODS
from local_only.tracker_script import SCRIPT_PATH
from transform_runner.settings import TransformSettings

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "infra" / "template.yaml"


def _plain(node: Any) -> Any:
    return json.loads(json.dumps(node))


def _resolve(node: Any, kms: bool) -> Any:
    """The template with `Fn::If [UseKms, a, b]` decided and `AWS::NoValue` removed."""
    if isinstance(node, dict):
        if set(node) == {"Fn::If"}:
            condition, yes, no = node["Fn::If"]
            assert condition == "UseKms", condition
            return _resolve(yes if kms else no, kms)
        out = {}
        for key, value in node.items():
            resolved = _resolve(value, kms)
            if resolved != {"Ref": "AWS::NoValue"}:
                out[key] = resolved
        return out
    if isinstance(node, list):
        return [item for item in (_resolve(item, kms) for item in node) if item != {"Ref": "AWS::NoValue"}]
    return node


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return _plain(cfn_yaml.load(str(TEMPLATE)))


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == kind}


def _statements(template: dict[str, Any], role: str, kms: bool) -> list[dict[str, Any]]:
    props = _resolve(template["Resources"][role]["Properties"], kms)
    return [statement for policy in props["Policies"] for statement in policy["PolicyDocument"]["Statement"]]


def _grants(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(action, resource as JSON) for every Allow, one pair per action and resource."""
    pairs = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            for resource in resources:
                pairs.add((action, json.dumps(resource, sort_keys=True)))
    return pairs


def _sub(text: str) -> str:
    return json.dumps({"Fn::Sub": text}, sort_keys=True)


def _ref(name: str) -> str:
    return json.dumps({"Ref": name}, sort_keys=True)


def _att(name: str, attribute: str) -> str:
    return json.dumps({"Fn::GetAtt": [name, attribute]}, sort_keys=True)


PARAMETER = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${ParameterPrefix}"


# ---------- tools


def test_cfn_lint_is_clean() -> None:
    result = subprocess.run(
        [str(REPO / ".venv" / "bin" / "cfn-lint"), str(TEMPLATE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _sam() -> str | None:
    candidates = [os.environ.get("SAM_CLI"), shutil.which("sam"), str(Path.home() / ".cache/sam-cli-venv/bin/sam")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def test_sam_validate_with_lint() -> None:
    sam = _sam()
    if sam is None:
        pytest.skip(
            "aws-sam-cli not found: it pins older boto3, pydantic and click than ours, so it lives in its own venv "
            "(python3.11 -m venv ~/.cache/sam-cli-venv && ~/.cache/sam-cli-venv/bin/pip install aws-sam-cli)"
        )
    env = {
        **os.environ,
        "SAM_CLI_TELEMETRY": "0",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"),
    }
    for extra in ([], ["--lint"]):
        result = subprocess.run(
            [sam, "validate", *extra, "--template", str(TEMPLATE)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr


# ---------- network


def test_no_nat_no_internet_gateway_no_routes_out(template: dict[str, Any]) -> None:
    kinds = {res["Type"] for res in template["Resources"].values()}
    forbidden = {"AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::EIP"}
    assert not kinds & forbidden
    # Only the local route and the S3 gateway endpoint's: no AWS::EC2::Route at all.
    assert not _resources(template, "AWS::EC2::Route")
    subnets = {name: res["Properties"] for name, res in _resources(template, "AWS::EC2::Subnet").items()}
    assert {name: props["CidrBlock"] for name, props in subnets.items()} == {
        "AnalyticsSubnet": "10.0.2.0/24",
        "EtlSubnet": "10.0.3.0/24",
    }
    assert all(props["MapPublicIpOnLaunch"] is False for props in subnets.values())
    endpoints = {
        res["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[1]: res["Properties"]
        for res in _resources(template, "AWS::EC2::VPCEndpoint").values()
    }
    assert set(endpoints) == {"s3", "ssm", "ssmmessages", "ec2messages", "logs", "monitoring", "sns", "email"}
    assert endpoints["s3"]["VpcEndpointType"] == "Gateway"
    assert all(props["PrivateDnsEnabled"] for name, props in endpoints.items() if name != "s3")


def _ingress(template: dict[str, Any]) -> list[tuple[str, int, int, str]]:
    """(group, from port, to port, source) for every inbound rule, standalone or inline."""
    rules = []
    for res in _resources(template, "AWS::EC2::SecurityGroupIngress").values():
        props = res["Properties"]
        source = props.get("SourceSecurityGroupId", props.get("CidrIp", props.get("CidrIpv6")))
        rules.append((props["GroupId"]["Ref"], props["FromPort"], props["ToPort"], json.dumps(source)))
    for name, res in _resources(template, "AWS::EC2::SecurityGroup").items():
        for rule in res["Properties"].get("SecurityGroupIngress", []):
            source = rule.get("SourceSecurityGroupId", rule.get("CidrIp", rule.get("CidrIpv6")))
            rules.append((name, rule.get("FromPort", -1), rule.get("ToPort", -1), json.dumps(source)))
    return rules


def test_no_ingress_on_22_and_5432_only_from_the_loader_and_dashboard_groups(template: dict[str, Any]) -> None:
    # The one rule on a group outside the stack (the shop database's, when given) is checked below.
    rules = [rule for rule in _ingress(template) if rule[0] != "ShopDatabaseSecurityGroupId"]
    assert not [rule for rule in rules if rule[1] == -1 or rule[1] <= 22 <= rule[2]]
    postgres = {(group, source) for group, low, high, source in rules if low <= 5432 <= high}
    assert postgres == {
        ("WarehouseSecurityGroup", _ref("LoaderSecurityGroup")),
        ("WarehouseSecurityGroup", _ref("DashboardSecurityGroup")),
    }
    # Everything else inbound is HTTPS to the interface endpoints, from the same two VPC groups.
    assert sorted(rule for rule in rules if rule[1] != 5432) == [
        ("EndpointSecurityGroup", 443, 443, _ref("LoaderSecurityGroup")),
        ("EndpointSecurityGroup", 443, 443, _ref("WarehouseSecurityGroup")),
    ]


def test_loader_egress_only_to_the_warehouse_s3_and_the_ssm_endpoint(template: dict[str, Any]) -> None:
    egress = template["Resources"]["LoaderSecurityGroup"]["Properties"]["SecurityGroupEgress"]
    targets = {
        (
            rule["IpProtocol"],
            rule["FromPort"],
            json.dumps(rule.get("DestinationSecurityGroupId") or rule.get("DestinationPrefixListId")),
        )
        for rule in egress
    }
    assert targets == {
        ("tcp", 5432, _ref("WarehouseSecurityGroup")),
        ("tcp", 443, _ref("S3PrefixListId")),
        ("tcp", 443, _ref("EndpointSecurityGroup")),
    }
    assert not [rule for rule in egress if "CidrIp" in rule]


# ---------- storage


@pytest.mark.parametrize("bucket", ["RawBucket", "OpsBucket"])
@pytest.mark.parametrize("kms", [False, True])
def test_buckets_encrypted_private_and_tls_only(template: dict[str, Any], bucket: str, kms: bool) -> None:
    props = _resolve(template["Resources"][bucket]["Properties"], kms)
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == {"Ref": "RawEncryption"}
    assert ("KMSMasterKeyID" in rule["ServerSideEncryptionByDefault"]) is kms
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    (policy,) = [
        res
        for res in _resources(template, "AWS::S3::BucketPolicy").values()
        if res["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    (deny,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}]


def test_raw_bucket_lifecycle(template: dict[str, Any]) -> None:
    rules = {
        rule["Id"]: rule for rule in template["Resources"]["RawBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    }
    assert rules["events"]["Prefix"] == "events/"
    assert [(t["StorageClass"], t["TransitionInDays"]["Ref"]) for t in rules["events"]["Transitions"]] == [
        ("STANDARD_IA", "EventsToInfrequentAccessDays"),
        ("GLACIER", "EventsToGlacierDays"),
    ]
    assert rules["events"]["ExpirationInDays"] == {"Ref": "EventsExpireDays"}
    assert rules["compacted"]["Prefix"] == "compacted/"
    assert "ExpirationInDays" not in rules["compacted"]  # the replay source is kept
    assert rules["rejected"]["Prefix"] == "rejected/"
    params = template["Parameters"]
    assert params["RejectedExpireDays"]["Default"] > params["EventsExpireDays"]["Default"]
    # Glacier Flexible Retrieval bills 90 days at least: the default expiry does not cut that short.
    assert params["EventsExpireDays"]["Default"] >= params["EventsToGlacierDays"]["Default"] + 90


# ---------- roles: exactly the rights of issue 7, nothing on * for S3 or SSM


AGENT_CHANNEL = {
    "ssm:UpdateInstanceInformation",
    "ssm:ListInstanceAssociations",
    "ssm:DescribeAssociation",
    "ssm:UpdateInstanceAssociationStatus",
    "ssm:GetDocument",
    "ssm:DescribeDocument",
    *(
        f"ssmmessages:{verb}"
        for verb in ("CreateControlChannel", "CreateDataChannel", "OpenControlChannel", "OpenDataChannel")
    ),
    *(
        f"ec2messages:{verb}"
        for verb in ("AcknowledgeMessage", "DeleteMessage", "FailMessage", "GetEndpoint", "GetMessages", "SendReply")
    ),
}


@pytest.mark.parametrize("kms", [False, True])
def test_ingest_role(template: dict[str, Any], kms: bool) -> None:
    expected = {
        ("s3:PutObject", _sub("${RawBucket.Arn}/events/*")),
        ("s3:PutObject", _sub("${RawBucket.Arn}/rejected/*")),
        ("ssm:GetParameter", _sub(f"{PARAMETER}/hash-salt")),
        ("logs:CreateLogStream", _sub("${IngestLogs.Arn}")),
        ("logs:PutLogEvents", _sub("${IngestLogs.Arn}")),
    }
    if kms:
        expected.add(("kms:GenerateDataKey", _att("DataKey", "Arn")))
    assert _grants(_statements(template, "IngestRole", kms)) == expected
    assert "ManagedPolicyArns" not in template["Resources"]["IngestRole"]["Properties"]


@pytest.mark.parametrize("kms", [False, True])
def test_loader_role(template: dict[str, Any], kms: bool) -> None:
    statements = _statements(template, "LoaderRole", kms)
    expected = {
        ("s3:GetObject", _sub("${RawBucket.Arn}/events/*")),
        ("s3:GetObject", _sub("${RawBucket.Arn}/compacted/*")),
        ("s3:GetObject", _sub("${RawBucket.Arn}/rejected/*")),
        ("s3:ListBucket", _att("RawBucket", "Arn")),
        ("s3:PutObject", _sub("${RawBucket.Arn}/compacted/*")),
        ("ssm:GetParameter", _sub(f"{PARAMETER}/dw/loader-password")),
        ("sqs:SendMessage", _att("LoaderDeadLetterQueue", "Arn")),
        ("logs:CreateLogStream", _sub("${LoaderLogs.Arn}")),
        ("logs:PutLogEvents", _sub("${LoaderLogs.Arn}")),
    }
    if kms:
        expected |= {("kms:Decrypt", _att("DataKey", "Arn")), ("kms:GenerateDataKey", _att("DataKey", "Arn"))}
    assert _grants(statements) == expected
    (listing,) = [s for s in statements if s["Action"] == ["s3:ListBucket"]]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["events/*", "compacted/*", "rejected/*"]}}
    # The only managed policy: ENIs for the VPC, which holds no S3 or SSM right.
    assert template["Resources"]["LoaderRole"]["Properties"]["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"}
    ]


@pytest.mark.parametrize("kms", [False, True])
def test_warehouse_role(template: dict[str, Any], kms: bool) -> None:
    grants = _grants(_statements(template, "WarehouseRole", kms))
    on_everything = {action for action, resource in grants if resource == json.dumps("*")}
    # Only the SSM agent's channel (no narrower resource exists for it) and the metric, limited by namespace.
    assert on_everything == AGENT_CHANNEL | {"cloudwatch:PutMetricData"}
    expected = {
        ("ssm:GetParameter", _sub(f"{PARAMETER}/dw/*")),
        ("ssm:GetParameters", _sub(f"{PARAMETER}/dw/*")),
        # the shop extract's read-only role on the shop's database (shop_extract/settings.py)
        ("ssm:GetParameter", _sub(f"{PARAMETER}/shop/reader-password")),
        ("s3:GetObject", _sub("${OpsBucket.Arn}/bundle/*")),
        ("s3:PutObject", _sub("${OpsBucket.Arn}/backups/*")),
        # The summary job's alert, on the stack's own topic.
        ("sns:Publish", _ref("AlarmTopic")),
        *(
            (action, _sub("${TransformLogs.Arn}"))
            for action in ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams")
        ),
    }
    if kms:
        expected |= {("kms:Decrypt", _att("DataKey", "Arn")), ("kms:GenerateDataKey", _att("DataKey", "Arn"))}
    assert {grant for grant in grants if grant[1] != json.dumps("*")} == expected
    (metric,) = [s for s in _statements(template, "WarehouseRole", kms) if s["Action"] == ["cloudwatch:PutMetricData"]]
    assert metric["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": {"Fn::Sub": "Clickstream/${AWS::StackName}"}}
    }
    # Not AmazonSSMManagedInstanceCore, which reads every parameter of the account.
    assert "ManagedPolicyArns" not in template["Resources"]["WarehouseRole"]["Properties"]


def test_no_role_grants_s3_or_ssm_data_on_everything(template: dict[str, Any]) -> None:
    for name in _resources(template, "AWS::IAM::Role"):
        for kms in (False, True):
            for action, resource in _grants(_statements(template, name, kms)):
                if action.split(":")[0] in {"s3", "ssm"} and action not in AGENT_CHANNEL:
                    assert json.loads(resource) != "*", (name, action)
                    assert not action.endswith("*"), (name, action)


@pytest.mark.parametrize(
    ("role", "document"), [("TransformScheduleRole", "TransformDocument"), ("ReportScheduleRole", "ReportDocument")]
)
def test_a_schedule_role_sends_only_its_document_to_the_warehouse(
    template: dict[str, Any], role: str, document: str
) -> None:
    assert _grants(_statements(template, role, False)) == {
        (
            "ssm:SendCommand",
            _sub(f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:document/${{{document}}}"),
        ),
        (
            "ssm:SendCommand",
            _sub("arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:instance/${WarehouseInstance}"),
        ),
    }


# ---------- schedules


def test_loader_schedule_with_retries_and_a_dead_letter_queue(template: dict[str, Any]) -> None:
    rule = template["Resources"]["LoaderSchedule"]["Properties"]
    assert rule["ScheduleExpression"] == "cron(5 * * * ? *)"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["LoaderFunction", "Arn"]}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["LoaderDeadLetterQueue", "Arn"]}
    loader = template["Resources"]["LoaderFunction"]["Properties"]
    # A run that fails after the invocation started goes to the same queue, after Lambda's own retries.
    assert loader["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["LoaderDeadLetterQueue", "Arn"]}}
    permission = template["Resources"]["LoaderSchedulePermission"]["Properties"]
    assert permission["SourceArn"] == {"Fn::GetAtt": ["LoaderSchedule", "Arn"]}


def test_transform_schedule_runs_the_stack_document_on_the_warehouse(template: dict[str, Any]) -> None:
    rule = template["Resources"]["TransformSchedule"]["Properties"]
    assert rule["ScheduleExpression"] == "cron(20 * * * ? *)"
    (target,) = rule["Targets"]
    assert target["Arn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/${TransformDocument}"
    }
    assert target["RoleArn"] == {"Fn::GetAtt": ["TransformScheduleRole", "Arn"]}
    assert target["RunCommandParameters"]["RunCommandTargets"] == [
        {"Key": "InstanceIds", "Values": [{"Ref": "WarehouseInstance"}]}
    ]
    document = template["Resources"]["TransformDocument"]["Properties"]
    assert document["DocumentType"] == "Command"
    (step,) = document["Content"]["mainSteps"]
    assert step["action"] == "aws:runShellScript"
    assert step["inputs"]["runCommand"] == ["TRANSFORM_TRIGGER={{ trigger }} /opt/clickstream/bin/run-transform.sh"]
    assert json.loads(target["Input"]) == {"trigger": ["eventbridge"]}


# ---------- warehouse instance, Lambdas, API, alarms


def test_warehouse_instance_private_imdsv2_encrypted(template: dict[str, Any]) -> None:
    data = template["Resources"]["WarehouseLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    (nic,) = data["NetworkInterfaces"]
    assert nic["AssociatePublicIpAddress"] is False
    assert nic["SubnetId"] == {"Ref": "AnalyticsSubnet"}
    (disk,) = data["BlockDeviceMappings"]
    assert disk["Ebs"]["VolumeType"] == "gp3"
    assert disk["Ebs"]["Encrypted"] is True
    assert data["InstanceType"] == {"Ref": "WarehouseInstanceType"}
    assert template["Parameters"]["WarehouseInstanceType"]["Default"] == "t4g.small"
    user_data = data["UserData"]["Fn::Base64"]["Fn::Sub"]
    assert "bash /opt/clickstream/bundle/infra/ec2/bootstrap.sh" in user_data
    assert "FRESHNESS_METRIC_NAMESPACE=Clickstream/${AWS::StackName}" in user_data


def test_lambdas_match_what_make_package_builds(template: dict[str, Any]) -> None:
    functions = _resources(template, "AWS::Serverless::Function")
    assert template["Globals"]["Function"]["Runtime"] == f"python{LAMBDA_PYTHON}"
    assert template["Globals"]["Function"]["Architectures"] == ["x86_64"]
    zips = {props["Properties"]["CodeUri"]: props["Properties"]["Handler"] for props in functions.values()}
    assert zips == {f"../dist/{spec.name}.zip": f"{spec.name}.handler.handler" for spec in LAMBDAS}
    assert "VpcConfig" not in functions["IngestFunction"]["Properties"]
    assert functions["LoaderFunction"]["Properties"]["VpcConfig"]["SubnetIds"] == [{"Ref": "EtlSubnet"}]
    loader_env = functions["LoaderFunction"]["Properties"]["Environment"]["Variables"]
    assert loader_env["DW_PG_USER"] == "loader"
    assert "DW_PG_PASSWORD" not in loader_env
    ingest_env = functions["IngestFunction"]["Properties"]["Environment"]["Variables"]
    assert "HASH_SALT" not in ingest_env
    assert ingest_env["RAW_BUCKET_NAME"] == loader_env["RAW_BUCKET_NAME"] == {"Ref": "RawBucket"}


def test_api_anonymous_route_and_cognito_verified_route(template: dict[str, Any]) -> None:
    api = template["Resources"]["Api"]["Properties"]
    assert api["CorsConfiguration"]["AllowOrigins"] == {"Ref": "ShopOrigins"}
    assert api["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRate"}
    assert api["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogs", "Arn"]}
    assert "DefaultAuthorizer" not in api["Auth"]
    jwt = api["Auth"]["Authorizers"]["CognitoIdToken"]["JwtConfiguration"]
    assert jwt["issuer"] == {"Fn::Sub": "https://cognito-idp.${AWS::Region}.amazonaws.com/${CognitoUserPoolId}"}
    assert jwt["audience"] == {"Ref": "CognitoAppClientIds"}
    events = template["Resources"]["IngestFunction"]["Properties"]["Events"]
    routes = {
        (e["Properties"]["Method"], e["Properties"]["Path"], e["Properties"].get("Auth", {}).get("Authorizer"))
        for e in events.values()
    }
    # The dialects' sub-paths (ingest_lambda.dialects) all reach the handler, anonymously, with any method.
    assert routes == {
        ("POST", "/clickstream", None),
        ("ANY", "/clickstream/{proxy+}", None),
        ("POST", "/clickstream/auth", "CognitoIdToken"),
    }


def test_every_recorded_sdk_request_has_a_route_and_its_headers_are_allowed(template: dict[str, Any]) -> None:
    events = template["Resources"]["IngestFunction"]["Properties"]["Events"]
    routes = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events.values()}
    allowed = {
        header.lower() for header in template["Resources"]["Api"]["Properties"]["CorsConfiguration"]["AllowHeaders"]
    }
    requests = [json.loads(path.read_text()) for path in sorted(FIXTURES.glob("*/*.json"))]
    # Snowplow's pixel (a GET), its tp2 envelope, and the Segment-spec SDKs' calls among them.
    assert {("GET", "/clickstream/i"), ("POST", "/clickstream/com.snowplowanalytics.snowplow/tp2")} <= {
        (request["method"], request["path"]) for request in requests
    }
    for request in requests:
        method, path = request["method"], request["path"]
        below = path.startswith("/clickstream/") and len(path) > len("/clickstream/")
        assert (method, path) in routes or (below and ("ANY", "/clickstream/{proxy+}") in routes), path
        assert set(request["headers"]) <= allowed, path


def test_every_alarm_goes_to_the_topic_and_freshness_watches_the_transform_metric(template: dict[str, Any]) -> None:
    alarms = _resources(template, "AWS::CloudWatch::Alarm")
    assert all(res["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for res in alarms.values())
    watched = {
        (
            res["Properties"]["Namespace"] if isinstance(res["Properties"]["Namespace"], str) else "custom",
            res["Properties"]["MetricName"],
        )
        for res in alarms.values()
    }
    assert {
        ("AWS/ApiGateway", "5xx"),
        ("AWS/Lambda", "Errors"),
        ("AWS/Lambda", "Throttles"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("custom", "DataFreshnessMinutes"),
    } <= watched
    freshness = alarms["FreshnessAlarm"]["Properties"]
    assert freshness["MetricName"] == TransformSettings.model_fields["freshness_metric_name"].default
    assert freshness["Namespace"] == {"Fn::Sub": "Clickstream/${AWS::StackName}"}
    assert freshness["TreatMissingData"] == "breaching"
    failed = template["Resources"]["TransformFailedRule"]["Properties"]
    assert failed["EventPattern"]["detail"]["document-name"] == [{"Ref": "TransformDocument"}]
    assert failed["Targets"][0]["Arn"] == {"Ref": "AlarmTopic"}


# ---------- CORS and the tracker script


def test_api_cors_is_the_policy_of_clickstream_serve(template: dict[str, Any]) -> None:
    cors = template["Resources"]["Api"]["Properties"]["CorsConfiguration"]
    assert cors == {
        "AllowOrigins": {"Ref": "ShopOrigins"},
        "AllowCredentials": True,
        "AllowMethods": list(ROUTE_METHODS),
        "AllowHeaders": list(ALLOWED_HEADERS),
        "ExposeHeaders": list(EXPOSED_HEADERS),
        "MaxAge": MAX_AGE_SECONDS,
    }
    assert template["Parameters"]["ShopOrigins"]["Type"] == "CommaDelimitedList"
    groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    assert "ShopOrigins" in [name for group in groups for name in group["Parameters"]]


def _evaluate_rule(node: Any, parameters: dict[str, Any]) -> Any:
    """A rule assertion's value for these parameter values (the few rule functions the template uses)."""
    if isinstance(node, dict):
        ((function, argument),) = node.items()
        if function == "Ref":
            return parameters[argument]
        values = [_evaluate_rule(item, parameters) for item in argument]
        if function == "Fn::Not":
            return not values[0]
        if function == "Fn::Contains":
            return values[1] in values[0]
        raise AssertionError(f"unexpected rule function {function}")
    return node


@pytest.mark.parametrize(
    ("origins", "allowed"),
    [
        (["https://shop.example.com"], True),
        (["https://shop.example.com", "https://www.shop.example.com"], True),
        (["*"], False),
        (["https://shop.example.com", "*"], False),
    ],
)
def test_a_wildcard_shop_origin_is_refused_before_the_deploy(
    template: dict[str, Any], origins: list[str], allowed: bool
) -> None:
    (assertion,) = template["Rules"]["ShopOriginsAreListed"]["Assertions"]
    assert _evaluate_rule(assertion["Assert"], {"ShopOrigins": origins}) is allowed
    assert "*" in assertion["AssertDescription"]


def test_the_assets_bucket_makes_only_the_tracker_script_public(template: dict[str, Any]) -> None:
    props = template["Resources"]["AssetsBucket"]["Properties"]
    blocks = props["PublicAccessBlockConfiguration"]
    # No ACL can make an object public; only the policy below does, for one key.
    assert blocks["BlockPublicAcls"] is True and blocks["IgnorePublicAcls"] is True
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (rule,) = props["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == {"Ref": "ShopOrigins"}
    assert rule["AllowedMethods"] == ["GET", "HEAD"]
    (policy,) = [
        res
        for res in _resources(template, "AWS::S3::BucketPolicy").values()
        if res["Properties"]["Bucket"] == {"Ref": "AssetsBucket"}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    allows = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert allows == [
        {
            "Sid": "TrackerScriptIsPublic",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "${AssetsBucket.Arn}" + SCRIPT_PATH},
        }
    ]
    (deny,) = [statement for statement in statements if statement["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # No role of the stack may write it: the deployer uploads it (docs/deploy.md).
    for role in _resources(template, "AWS::IAM::Role"):
        for kms in (False, True):
            if "Policies" in template["Resources"][role]["Properties"]:
                assert "AssetsBucket" not in json.dumps(_statements(template, role, kms))
    url = template["Outputs"]["TrackerScriptUrl"]["Value"]
    assert url == {"Fn::Sub": "https://${AssetsBucket.RegionalDomainName}" + SCRIPT_PATH}


def test_no_single_shop_origin_is_left_anywhere() -> None:
    for path in [TEMPLATE, REPO / "docs" / "deploy.md", REPO / "README.md", *sorted((REPO / "infra").rglob("*.sh"))]:
        text = path.read_text(encoding="utf-8")
        assert "ShopOrigin" not in text.replace("ShopOrigins", ""), path


# ---------- the owner's summary e-mail (clickstream report)


def test_the_report_runs_each_morning_on_the_warehouse_through_its_document(template: dict[str, Any]) -> None:
    rule = template["Resources"]["ReportRule"]["Properties"]
    assert rule["ScheduleExpression"] == {"Ref": "ReportSchedule"}
    assert template["Parameters"]["ReportSchedule"]["Default"] == "cron(40 6 * * ? *)"
    (target,) = rule["Targets"]
    assert target["Arn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:document/${ReportDocument}"
    }
    assert target["RoleArn"] == {"Fn::GetAtt": ["ReportScheduleRole", "Arn"]}
    assert target["RunCommandParameters"]["RunCommandTargets"] == [
        {"Key": "InstanceIds", "Values": [{"Ref": "WarehouseInstance"}]}
    ]
    assert json.loads(target["Input"]) == {"period": ["day"]}
    content = template["Resources"]["ReportDocument"]["Properties"]["Content"]
    assert content["parameters"]["period"]["allowedValues"] == ["day", "week"]
    (step,) = content["mainSteps"]
    (command,) = step["inputs"]["runCommand"]
    assert command["Fn::Sub"].split() == [
        "REPORT_FROM_ADDRESS='${ReportFromAddress}'",
        "REPORT_TO_ADDRESSES='${ReportToAddresses}'",
        "REPORT_ALERT_TOPIC_ARN='${AlarmTopic}'",
        "REPORT_ALERT_BELOW_PERCENT='${ReportAlertBelowPercent}'",
        "/opt/clickstream/bin/run-report.sh",
        "{{",
        "period",
        "}}",
    ]
    assert (REPO / "infra" / "ec2" / "run-report.sh").is_file()
    # A report that fails (SES refuses, the marts unreadable) alarms like a failed build.
    failed = template["Resources"]["ReportFailedRule"]["Properties"]
    assert failed["EventPattern"]["detail"]["document-name"] == [{"Ref": "ReportDocument"}]
    assert failed["Targets"][0]["Arn"] == {"Ref": "AlarmTopic"}
    sources = [
        statement["Condition"]["ArnEquals"]["aws:SourceArn"]
        for statement in template["Resources"]["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert {"Fn::GetAtt": ["ReportFailedRule", "Arn"]} in sources


def test_the_report_may_send_only_from_its_own_identity_and_only_when_its_addresses_are_set(
    template: dict[str, Any],
) -> None:
    conditional = {name for name, res in template["Resources"].items() if res.get("Condition") == "ReportEmailOn"}
    assert conditional == {"ReportEmailPolicy", "SesEndpoint"}
    assert template["Conditions"]["ReportEmailOn"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ReportFromAddress"}, ""]}]}
    for name in ("ReportFromAddress", "ReportToAddresses"):
        assert template["Parameters"][name]["Default"] == ""
    policy = template["Resources"]["ReportEmailPolicy"]["Properties"]
    assert policy["Roles"] == [{"Ref": "WarehouseRole"}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    identity = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/"
    assert _grants([statement]) == {
        ("ses:SendEmail", _sub(identity + "${ReportFromAddress}")),
        (
            "ses:SendEmail",
            json.dumps(
                {
                    "Fn::Sub": [
                        identity + "${Domain}",
                        {"Domain": {"Fn::Select": [1, {"Fn::Split": ["@", {"Ref": "ReportFromAddress"}]}]}},
                    ]
                },
                sort_keys=True,
            ),
        ),
    }
    assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "ReportFromAddress"}}}
    # No other policy of the stack sends e-mail or publishes anywhere but the alarm topic.
    for role in _resources(template, "AWS::IAM::Role"):
        for kms in (False, True):
            for action, resource in _grants(_statements(template, role, kms)):
                assert not action.startswith("ses:"), (role, action)
                if action.startswith("sns:"):
                    assert (role, action, resource) == ("WarehouseRole", "sns:Publish", _ref("AlarmTopic"))


@pytest.mark.parametrize(
    ("parameter", "good", "bad"),
    [
        ("ReportFromAddress", ["", "report@shop.example.com"], ["report", "a b@shop.example.com", "r'@x.example.com"]),
        (
            "ReportToAddresses",
            ["", "owner@shop.example.com", "owner@shop.example.com,partner@example.org"],
            ["owner@shop.example.com, partner@example.org", "owner@shop.example.com;rm -rf", "$(id)@x.example.com"],
        ),
    ],
)
def test_the_address_parameters_leave_nothing_a_shell_would_read(
    template: dict[str, Any], parameter: str, good: list[str], bad: list[str]
) -> None:
    """They are written into the document's command line: no quote, space, $ or ; can pass."""
    pattern = re.compile(template["Parameters"][parameter]["AllowedPattern"])
    assert all(pattern.fullmatch(value) for value in good), good
    assert not [value for value in bad if pattern.fullmatch(value)]


def _decide(node: Any, parameters: dict[str, str]) -> Any:
    """A rule's assertion evaluated for these parameter values (Ref, Fn::Equals, Fn::And, Fn::Or, Fn::Not)."""
    if not isinstance(node, dict):
        return node
    ((function, argument),) = node.items()
    if function == "Ref":
        return parameters[argument]
    values = [_decide(item, parameters) for item in argument]
    return {
        "Fn::Equals": lambda: values[0] == values[1],
        "Fn::And": lambda: all(values),
        "Fn::Or": lambda: any(values),
        "Fn::Not": lambda: not values[0],
    }[function]()


@pytest.mark.parametrize(
    ("sender", "recipients", "allowed"),
    [("", "", True), ("r@shop.example.com", "o@shop.example.com", True), ("r@shop.example.com", "", False),
     ("", "o@shop.example.com", False)],
)  # fmt: skip
def test_both_addresses_or_neither_before_the_deploy(
    template: dict[str, Any], sender: str, recipients: str, allowed: bool
) -> None:
    (assertion,) = template["Rules"]["ReportAddressesTogether"]["Assertions"]
    parameters = {"ReportFromAddress": sender, "ReportToAddresses": recipients}
    assert _decide(assertion["Assert"], parameters) is allowed


def test_shop_database_reached_from_the_warehouse_on_its_port_only(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    egress = resources["WarehouseEgressToShopDatabase"]
    assert egress["Condition"] == "ExtractShop"
    assert egress["Properties"] == {
        "GroupId": {"Ref": "WarehouseSecurityGroup"},
        "Description": egress["Properties"]["Description"],
        "IpProtocol": "tcp",
        "FromPort": {"Ref": "ShopDatabasePort"},
        "ToPort": {"Ref": "ShopDatabasePort"},
        "CidrIp": {"Ref": "ShopDatabaseCidr"},
    }
    ingress = resources["ShopDatabaseIngressFromWarehouse"]
    assert ingress["Condition"] == "ShopGroupGiven"
    props = ingress["Properties"]
    assert (props["GroupId"], props["SourceSecurityGroupId"]) == (
        {"Ref": "ShopDatabaseSecurityGroupId"},
        {"Ref": "WarehouseSecurityGroup"},
    )
    assert props["FromPort"] == props["ToPort"] == {"Ref": "ShopDatabasePort"}
    # no extract unless a host is named, and then its address is required
    assert template["Conditions"]["ExtractShop"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ShopDatabaseHost"}, ""]}]}
    assert template["Parameters"]["ShopDatabaseHost"]["Default"] == ""
    rule = template["Rules"]["ShopDatabaseNeedsItsAddress"]
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [
            {"Fn::Equals": [{"Ref": "ShopDatabaseCidr"}, template["Parameters"]["ShopDatabaseCidr"]["Default"]]}
        ]
    }


def test_the_warehouse_learns_the_shop_database_from_the_stack(template: dict[str, Any]) -> None:
    user_data = template["Resources"]["WarehouseLaunchTemplate"]["Properties"]["LaunchTemplateData"]["UserData"]
    script = user_data["Fn::Base64"]["Fn::Sub"]
    for line in (
        "SHOP_PG_HOST=${ShopDatabaseHost}",
        "SHOP_PG_PORT=${ShopDatabasePort}",
        "SHOP_PG_DATABASE=${ShopDatabaseName}",
        "SHOP_PG_USER=${ShopDatabaseUser}",
    ):
        assert line in script
