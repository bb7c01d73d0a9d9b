"""Create the local stack's resources in moto from the translated SAM template.

The translated CloudFormation template (see `helpdesk.local.template.translate_offline`) is the only input:
nothing here knows a resource by name, only resource types. Supported types are created in dependency order
(DynamoDB tables, SQS queues, the EventBridge bus and its rules with SQS targets, S3 buckets, Secrets Manager
secrets, SES email identities); every other type (IAM, Lambda, API Gateway, alarms, receipt rules, policies,
log groups...) is skipped. The functions, their SQS event source mappings and their schedules are read from
the same template, and their environment variables are resolved against what was created.

Physical names are deterministic (``<stack>-<LogicalId>`` unless the template names the resource), so
provisioning again against the same moto server finds the existing resources instead of failing.
"""

from __future__ import annotations

import graphlib
import json
import re
import secrets
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from helpdesk.local.template import LOCAL_CODE_BUCKET, parameter_values

if TYPE_CHECKING:
    import boto3

ACCOUNT_ID = "123456789012"
STACK_NAME = "helpdesk-local"
DEFAULT_REGION = "us-east-1"

_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_MINUTES_PER_UNIT = {"minute": 1, "hour": 60, "day": 1440}
_NO_VALUE = object()


@dataclass(frozen=True)
class SqsSource:
    queue_url: str
    batch_size: int
    report_batch_item_failures: bool


@dataclass(frozen=True)
class Schedule:
    expression: str
    every_minutes: int


@dataclass(frozen=True)
class S3Source:
    """Object notifications of a bucket: `event` such as "s3:ObjectCreated:*", key filters ("" = any)."""

    bucket: str
    event: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class FunctionSpec:
    """A function of the template: where its code is, and what invokes it."""

    logical_id: str
    code_uri: str
    handler: str
    sqs_sources: list[SqsSource] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    s3_sources: list[S3Source] = field(default_factory=list)
    serves_api: bool = False  # invoked by API Gateway (the Chalice app)
    env: dict[str, str] = field(default_factory=dict)  # this function's own resolved variables (Globals included)


@dataclass(frozen=True)
class LocalStack:
    """What was provisioned. `resources` maps logical id -> the value ``Ref`` returns (name, URL or ARN)."""

    resources: dict[str, str]
    env: dict[str, str]
    functions: dict[str, FunctionSpec]


class UnsupportedTemplate(ValueError):
    """The template uses something the local stack cannot reproduce."""


def schedule_every_minutes(expression: str) -> int:
    """Minutes between runs of a ``rate(...)`` expression; cron expressions are not supported locally."""
    match = _RATE.match(expression.strip())
    if match is None:
        raise UnsupportedTemplate(f"schedule {expression!r}: only rate(N minute|hour|day[s]) runs locally")
    return int(match.group(1)) * _MINUTES_PER_UNIT[match.group(2).removesuffix("s")]


class _Resolver:
    """Evaluates the intrinsic functions of a template against created resources."""

    def __init__(self, template: Mapping[str, Any], params: dict[str, str], pseudo: dict[str, str]) -> None:
        self._template = template
        self._params = params
        self._pseudo = pseudo
        self.refs: dict[str, str] = {}
        self.attributes: dict[str, dict[str, str]] = {}
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            spec = (self._template.get("Conditions") or {})[name]
            self._conditions[name] = bool(self.resolve(spec))
        return self._conditions[name]

    def ref(self, name: str) -> Any:
        if name in self._pseudo:
            return self._pseudo[name]
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self._params:
            return self._params[name]
        if name in self.refs:
            return self.refs[name]
        if name in (self._template.get("Resources") or {}):
            # A resource the local stack does not create (API, function...): a stable placeholder.
            return name.lower()
        raise UnsupportedTemplate(f"Ref to unknown name {name!r}")

    def get_att(self, name: str, attribute: str) -> str:
        if name in self.attributes:
            try:
                return self.attributes[name][attribute]
            except KeyError:
                raise UnsupportedTemplate(f"Fn::GetAtt {name}.{attribute} is not supported locally") from None
        return f"{name.lower()}.{attribute.lower()}"

    def resolve(self, value: Any) -> Any:  # noqa: C901 - one branch per intrinsic function
        if isinstance(value, list):
            return [item for item in (self.resolve(v) for v in value) if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                name, attribute = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(name, self.resolve(attribute))
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                return str(arg[0]).join(str(v) for v in self.resolve(arg[1]))
            if key == "Fn::Select":
                return self.resolve(arg[1])[int(self.resolve(arg[0]))]
            if key == "Fn::Split":
                return str(self.resolve(arg[1])).split(arg[0])
            if key == "Fn::If":
                return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
            if key == "Fn::Equals":
                return str(self.resolve(arg[0])) == str(self.resolve(arg[1]))
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(v) for v in arg)
            if key == "Fn::Or":
                return any(self.resolve(v) for v in arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::FindInMap":
                name, first, second = (self.resolve(v) for v in arg)
                return self._template["Mappings"][name][first][second]
            if key == "Fn::GetAZs":
                return [f"{self._pseudo['AWS::Region']}{zone}" for zone in "abc"]
            if key in ("Fn::ImportValue", "Fn::Base64", "Fn::Cidr"):
                raise UnsupportedTemplate(f"{key} is not supported by the local stack")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not _NO_VALUE}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return str(self.ref(name))

        return _SUB_VARIABLE.sub(replace, text)


def _dependencies(value: Any, names: set[str]) -> Iterator[str]:
    if isinstance(value, list):
        for item in value:
            yield from _dependencies(item, names)
    elif isinstance(value, dict):
        for key, arg in value.items():
            if key == "Ref" and arg in names:
                yield arg
            elif key == "Fn::GetAtt":
                name = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
                if name in names:
                    yield name
            elif key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                for variable in _SUB_VARIABLE.findall(text):
                    if variable.split(".", 1)[0] in names:
                        yield variable.split(".", 1)[0]
            yield from _dependencies(arg, names)


def _attribute_strings(properties: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for key in keys:
        if key not in properties:
            continue
        value = properties[key]
        if isinstance(value, bool):
            attributes[key] = "true" if value else "false"
        elif isinstance(value, dict | list):
            attributes[key] = json.dumps(value)
        else:
            attributes[key] = str(value)
    return attributes


def _generate_secret(spec: Mapping[str, Any]) -> str:
    alphabet = ""
    if not spec.get("ExcludeLowercase"):
        alphabet += string.ascii_lowercase
    if not spec.get("ExcludeUppercase"):
        alphabet += string.ascii_uppercase
    if not spec.get("ExcludeNumbers"):
        alphabet += string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += string.punctuation
    if spec.get("IncludeSpace"):
        alphabet += " "
    excluded = set(str(spec.get("ExcludeCharacters", "")))
    alphabet = "".join(c for c in alphabet if c not in excluded)
    value = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "SecretStringTemplate" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = value
        return json.dumps(document)
    return value


def _is_conflict(error: ClientError, *codes: str) -> bool:
    return error.response.get("Error", {}).get("Code") in codes


class _Provisioner:
    _QUEUE_ATTRIBUTES = (
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "DelaySeconds",
        "FifoQueue",
        "FifoThroughputLimit",
        "KmsDataKeyReusePeriodSeconds",
        "KmsMasterKeyId",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "RedriveAllowPolicy",
        "RedrivePolicy",
        "SqsManagedSseEnabled",
        "VisibilityTimeout",
    )

    def __init__(self, session: boto3.Session, endpoint_url: str | None, resolver: _Resolver, stack: str):
        self._session = session
        self._endpoint_url = endpoint_url
        self._resolver = resolver
        self._stack = stack
        self._region = resolver.ref("AWS::Region")
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            session: Any = self._session  # the service name is dynamic: no typed overload applies
            self._clients[service] = session.client(service, endpoint_url=self._endpoint_url)
        return self._clients[service]

    def handler(self, resource_type: str) -> Callable[[str, dict[str, Any]], bool] | None:
        handlers: dict[str, Callable[[str, dict[str, Any]], bool]] = {
            "AWS::DynamoDB::Table": self.table,
            "AWS::SQS::Queue": self.queue,
            "AWS::Events::EventBus": self.event_bus,
            "AWS::Events::Rule": self.rule,
            "AWS::S3::Bucket": self.bucket,
            "AWS::SecretsManager::Secret": self.secret,
            "AWS::SES::EmailIdentity": self.email_identity,
        }
        return handlers.get(resource_type)

    def _name(self, logical_id: str, properties: Mapping[str, Any], key: str) -> str:
        given = properties.get(key)
        return str(self._resolver.resolve(given)) if given else f"{self._stack}-{logical_id}"

    def _record(self, logical_id: str, ref: str, **attributes: str) -> None:
        self._resolver.refs[logical_id] = ref
        self._resolver.attributes[logical_id] = attributes

    def table(self, logical_id: str, properties: dict[str, Any]) -> bool:
        props = self._resolver.resolve(properties)
        name = self._name(logical_id, props, "TableName")
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        index_keys = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
        for section in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(section):
                kwargs[section] = [{k: v for k, v in i.items() if k in index_keys} for i in props[section]]
        if "ProvisionedThroughput" in props:
            kwargs["ProvisionedThroughput"] = props["ProvisionedThroughput"]
        if "StreamSpecification" in props:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        dynamodb = self.client("dynamodb")
        try:
            description = dynamodb.create_table(**kwargs)["TableDescription"]
        except ClientError as error:
            if not _is_conflict(error, "ResourceInUseException"):
                raise
            description = dynamodb.describe_table(TableName=name)["Table"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            status = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            if status.get("TimeToLiveStatus") != "ENABLED":
                dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
                )
        attributes = {"Arn": description["TableArn"]}
        if "LatestStreamArn" in description:
            attributes["StreamArn"] = description["LatestStreamArn"]
        self._record(logical_id, name, **attributes)
        return True

    def queue(self, logical_id: str, properties: dict[str, Any]) -> bool:
        props = self._resolver.resolve(properties)
        name = self._name(logical_id, props, "QueueName")
        if props.get("FifoQueue") in (True, "true") and not name.endswith(".fifo"):
            name += ".fifo"
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=_attribute_strings(props, self._QUEUE_ATTRIBUTES))["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self._record(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)
        return True

    def event_bus(self, logical_id: str, properties: dict[str, Any]) -> bool:
        name = self._name(logical_id, properties, "Name")
        events = self.client("events")
        try:
            arn = events.create_event_bus(Name=name)["EventBusArn"]
        except ClientError as error:
            if not _is_conflict(error, "ResourceAlreadyExistsException"):
                raise
            arn = events.describe_event_bus(Name=name)["Arn"]
        self._record(logical_id, name, Arn=arn, Name=name)
        return True

    def rule(self, logical_id: str, properties: dict[str, Any]) -> bool:
        """Pattern rules with SQS targets only: moto fails put_events for Lambda/SNS targets."""
        if "EventPattern" not in properties:
            return False  # a schedule: FunctionSpec.schedules carries it
        props = self._resolver.resolve(properties)
        targets = [t for t in props.get("Targets", []) if str(t.get("Arn", "")).startswith("arn:aws:sqs:")]
        if not targets:
            return False
        name = self._name(logical_id, props, "Name")
        bus = props.get("EventBusName", "default")
        pattern = props["EventPattern"]
        events = self.client("events")
        arn = events.put_rule(
            Name=name,
            EventBusName=bus,
            EventPattern=pattern if isinstance(pattern, str) else json.dumps(pattern),
            State=props.get("State", "ENABLED"),
        )["RuleArn"]
        target_keys = ("Id", "Arn", "Input", "InputPath", "InputTransformer", "SqsParameters")
        events.put_targets(
            Rule=name,
            EventBusName=bus,
            Targets=[{k: v for k, v in t.items() if k in target_keys} for t in targets],
        )
        self._record(logical_id, name, Arn=arn)
        return True

    def bucket(self, logical_id: str, properties: dict[str, Any]) -> bool:
        name = self._name(logical_id, properties, "BucketName").lower()
        kwargs: dict[str, Any] = {"Bucket": name}
        if self._region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self._region}
        try:
            self.client("s3").create_bucket(**kwargs)
        except ClientError as error:
            if not _is_conflict(error, "BucketAlreadyOwnedByYou"):
                raise
        self._record(
            logical_id,
            name,
            Arn=f"arn:aws:s3:::{name}",
            DomainName=f"{name}.s3.amazonaws.com",
            RegionalDomainName=f"{name}.s3.{self._region}.amazonaws.com",
        )
        return True

    def secret(self, logical_id: str, properties: dict[str, Any]) -> bool:
        props = self._resolver.resolve(properties)
        name = self._name(logical_id, props, "Name")
        value = props.get("SecretString") or _generate_secret(props.get("GenerateSecretString") or {})
        manager = self.client("secretsmanager")
        try:
            arn = manager.create_secret(Name=name, SecretString=value)["ARN"]
        except ClientError as error:
            if not _is_conflict(error, "ResourceExistsException"):
                raise
            arn = manager.describe_secret(SecretId=name)["ARN"]
        self._record(logical_id, arn, Id=arn)
        return True

    def email_identity(self, logical_id: str, properties: dict[str, Any]) -> bool:
        identity = str(self._resolver.resolve(properties["EmailIdentity"]))
        ses = self.client("ses")
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)
        self._record(logical_id, identity)
        return True


def _included(resource: Mapping[str, Any], resolver: _Resolver) -> bool:
    condition = resource.get("Condition")
    return condition is None or resolver.condition(condition)


def _function_refs(resources: Mapping[str, Any], principal: str) -> set[str]:
    """Functions that a Lambda permission lets `principal` invoke."""
    return {
        str(r["Properties"]["FunctionName"].get("Ref"))
        for r in resources.values()
        if r.get("Type") == "AWS::Lambda::Permission"
        and r.get("Properties", {}).get("Principal") == principal
        and isinstance(r["Properties"].get("FunctionName"), dict)
    }


def _add_sqs_source(functions: dict[str, FunctionSpec], props: Mapping[str, Any], resolver: _Resolver) -> None:
    arn_to_url = {a["Arn"]: a["QueueUrl"] for a in resolver.attributes.values() if "QueueUrl" in a}
    target = props.get("FunctionName", {}).get("Ref")
    source = str(resolver.resolve(props.get("EventSourceArn")))
    if target in functions and source in arn_to_url:
        functions[target].sqs_sources.append(
            SqsSource(
                queue_url=arn_to_url[source],
                batch_size=int(props.get("BatchSize", 10)),
                report_batch_item_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
            )
        )


def _add_schedules(functions: dict[str, FunctionSpec], props: Mapping[str, Any], resolver: _Resolver) -> None:
    if props.get("State", "ENABLED") != "ENABLED":
        return
    expression = str(resolver.resolve(props["ScheduleExpression"]))
    for target in props.get("Targets") or [props.get("Target", {})]:
        get_att = target.get("Arn", {}).get("Fn::GetAtt") if isinstance(target, dict) else None
        if get_att and get_att[0] in functions:
            functions[get_att[0]].schedules.append(
                Schedule(expression=expression, every_minutes=schedule_every_minutes(expression))
            )


def _add_s3_sources(functions: dict[str, FunctionSpec], bucket: str, props: Mapping[str, Any]) -> None:
    for config in props.get("NotificationConfiguration", {}).get("LambdaConfigurations", []):
        get_att = config.get("Function", {}).get("Fn::GetAtt")
        if not get_att or get_att[0] not in functions:
            continue
        rules = {r["Name"].lower(): r["Value"] for r in config.get("Filter", {}).get("S3Key", {}).get("Rules", [])}
        functions[get_att[0]].s3_sources.append(
            S3Source(
                bucket=bucket, event=config["Event"], prefix=rules.get("prefix", ""), suffix=rules.get("suffix", "")
            )
        )


def _functions(resources: Mapping[str, Any], resolver: _Resolver) -> dict[str, FunctionSpec]:
    api = _function_refs(resources, "apigateway.amazonaws.com")
    functions: dict[str, FunctionSpec] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Lambda::Function" or not _included(resource, resolver):
            continue
        code = resource["Properties"].get("Code", {})
        if code.get("S3Bucket") != LOCAL_CODE_BUCKET:
            raise UnsupportedTemplate(f"{logical_id}: translate the template with translate_offline()")
        functions[logical_id] = FunctionSpec(
            logical_id=logical_id,
            code_uri=code["S3Key"],
            handler=resource["Properties"]["Handler"],
            serves_api=logical_id in api,
        )
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        kind = resource.get("Type")
        if not _included(resource, resolver):
            continue
        if kind == "AWS::Lambda::EventSourceMapping":
            _add_sqs_source(functions, props, resolver)
        elif kind in ("AWS::Events::Rule", "AWS::Scheduler::Schedule") and "ScheduleExpression" in props:
            _add_schedules(functions, props, resolver)
        elif kind == "AWS::S3::Bucket" and logical_id in resolver.refs:
            _add_s3_sources(functions, resolver.refs[logical_id], props)
    return functions


def _environment(
    functions: dict[str, FunctionSpec], resources: Mapping[str, Any], resolver: _Resolver
) -> dict[str, str]:
    env: dict[str, str] = {}
    for logical_id, spec in functions.items():
        variables = resources[logical_id]["Properties"].get("Environment", {}).get("Variables", {})
        for key, value in resolver.resolve(variables).items():
            text = str(value)
            spec.env[key] = text
            if env.get(key, text) != text:
                raise UnsupportedTemplate(f"{key} differs between functions ({env[key]!r} vs {text!r})")
            env[key] = text
    return env


def provision(
    template: Mapping[str, Any],
    *,
    session: boto3.Session | None = None,
    endpoint_url: str | None = None,
    parameter_overrides: Mapping[str, str] | None = None,
    region: str | None = None,
    stack_name: str = STACK_NAME,
) -> LocalStack:
    """Create the template's local resources (moto server at `endpoint_url`, or in-process moto if None).

    Without a `session`, one with dummy credentials is used, so this never reaches a real account by accident.
    """
    import boto3

    if session is None:
        session = boto3.Session(
            region_name=region or DEFAULT_REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
    region = region or session.region_name or DEFAULT_REGION
    pseudo = {
        "AWS::Region": region,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::StackName": stack_name,
        "AWS::StackId": f"arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{stack_name}/local",
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }
    resolver = _Resolver(template, parameter_values(template, parameter_overrides), pseudo)
    provisioner = _Provisioner(session, endpoint_url, resolver, stack_name)
    resources: Mapping[str, Any] = template.get("Resources") or {}

    supported = {
        logical_id
        for logical_id, resource in resources.items()
        if provisioner.handler(resource.get("Type", "")) and _included(resource, resolver)
    }
    graph: dict[str, set[str]] = {}
    for logical_id in supported:
        depends_on = resources[logical_id].get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else depends_on
        found = set(_dependencies(resources[logical_id].get("Properties", {}), supported))
        graph[logical_id] = (found | set(depends_on)) & supported
    created: dict[str, str] = {}
    for logical_id in graphlib.TopologicalSorter(graph).static_order():
        resource = resources[logical_id]
        create = provisioner.handler(resource["Type"])
        if create is not None and create(logical_id, dict(resource.get("Properties", {}))):
            created[logical_id] = resolver.refs[logical_id]

    functions = _functions(resources, resolver)
    return LocalStack(resources=created, env=_environment(functions, resources, resolver), functions=functions)
