"""Read the SAM template and run the SAM transform offline.

`load_sam_template` turns CloudFormation short tags (``!Ref``, ``!GetAtt``, ``!Sub``...) into their long forms
so the result is plain JSON-shaped data. `translate_offline` runs samtranslator without AWS calls: no IAM
lookups (the managed-policy map is static) and local ``CodeUri``/``ContentUri`` paths swapped for placeholder
S3 locations, the way ``sam validate`` does. The local path survives as the S3 key of `LOCAL_CODE_BUCKET`, so
the translated template still says where each function's code lives.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

LOCAL_CODE_BUCKET = "local-code"
# Parameters the local stack (and the pipeline tests) set differently from a deployment: webhook backends run
# on 127.0.0.1 beside the stack, so loopback targets are allowed there.
# the local stack and the tests run without the API's rate limit (benchmarks and load tests send more than a
# deployment's default); an admin sets one in /api/v2/account/settings, as the rate limit tests do
LOCAL_PARAMETERS: dict[str, str] = {"WebhookPrivateTargets": "allow", "ApiRateLimitPerMinute": "0"}
DEFAULT_REGION = "us-east-1"

_SHORT_TAGS = (
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Not",
    "And",
    "Or",
    "Select",
    "Split",
    "Sub",
)

# Properties that hold a local path which `sam build`/`sam package` would upload.
_LOCAL_ARTIFACTS: dict[str, tuple[str, ...]] = {
    "AWS::Serverless::Function": ("CodeUri",),
    "AWS::Serverless::LayerVersion": ("ContentUri",),
    "AWS::Serverless::Api": ("DefinitionUri",),
    "AWS::Serverless::HttpApi": ("DefinitionUri",),
    "AWS::Serverless::StateMachine": ("DefinitionUri",),
}


class _CfnLoader(yaml.SafeLoader):
    """A SafeLoader that understands CloudFormation short-form intrinsic functions."""


def _node_value(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node!r}", node.start_mark)


def _long_form(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        return {name: _node_value(loader, node)}

    return construct


def _get_att(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    value = _node_value(loader, node)
    if isinstance(value, str):
        logical_id, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [logical_id, attribute]}
    return {"Fn::GetAtt": value}


_CfnLoader.add_constructor("!Ref", _long_form("Ref"))
_CfnLoader.add_constructor("!Condition", _long_form("Condition"))
_CfnLoader.add_constructor("!GetAtt", _get_att)
for _tag in _SHORT_TAGS:
    _CfnLoader.add_constructor(f"!{_tag}", _long_form(f"Fn::{_tag}"))


def load_sam_template(path: Path) -> dict[str, Any]:
    """Load a SAM/CloudFormation YAML (or JSON) template with short tags expanded to long forms."""
    with path.open(encoding="utf-8") as stream:
        data = yaml.load(stream, Loader=_CfnLoader)  # a SafeLoader subclass
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a template (top level is {type(data).__name__})")
    return data


def parameter_values(
    template: Mapping[str, Any], parameter_overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The template's parameter defaults, updated with the overrides, as strings."""
    values: dict[str, str] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        if isinstance(spec, Mapping) and "Default" in spec:
            values[name] = str(spec["Default"])
    values.update(parameter_overrides or {})
    return values


def _placeholder_uri(value: Any) -> Any:
    if isinstance(value, str) and not value.startswith("s3://"):
        return f"s3://{LOCAL_CODE_BUCKET}/{value.rstrip('/') or '.'}"
    return value


def _replace_local_artifacts(template: dict[str, Any]) -> None:
    globals_ = template.get("Globals") or {}
    for section, key in (("Function", "CodeUri"), ("Api", "DefinitionUri"), ("HttpApi", "DefinitionUri")):
        settings = globals_.get(section)
        if isinstance(settings, dict) and key in settings:
            settings[key] = _placeholder_uri(settings[key])
    for resource in (template.get("Resources") or {}).values():
        if not isinstance(resource, dict):
            continue
        properties = resource.get("Properties")
        if not isinstance(properties, dict):
            continue
        for key in _LOCAL_ARTIFACTS.get(str(resource.get("Type")), ()):
            if key in properties:
                properties[key] = _placeholder_uri(properties[key])


def translate_offline(
    template: dict[str, Any],
    parameter_overrides: dict[str, str] | None = None,
    *,
    region: str = DEFAULT_REGION,
) -> dict[str, Any]:
    """Run the SAM transform without calling AWS; the input template is left untouched.

    Raises ``samtranslator.model.exceptions.InvalidDocumentException`` when the template is not valid SAM.
    """
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    sam_template = copy.deepcopy(template)
    _replace_local_artifacts(sam_template)
    values: dict[str, Any] = dict(parameter_values(sam_template, parameter_overrides))
    values.setdefault("AWS::Region", region)
    # A session only carries the region here: the translator derives the partition from it and makes no call.
    session = boto3.Session(region_name=region)
    translator = Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=session)
    translated: dict[str, Any] = translator.translate(
        sam_template, parameter_values=values, get_managed_policy_map=lambda: {}
    )
    return translated
