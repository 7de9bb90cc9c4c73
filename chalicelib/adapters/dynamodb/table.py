"""Create the table from infra/resources.json: one definition for deployment, local runs and tests.

CloudFormation and the DynamoDB API spell a table alike except for a few keys (TTL, PITR,
SSE are separate calls or not available on emulators); those are dropped here, the rest is
passed through untouched so the two can never drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["INFRA_TEMPLATE", "create_table", "table_definition"]

INFRA_TEMPLATE = Path(__file__).resolve().parents[3] / "infra" / "resources.json"
_CREATE_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "BillingMode",
)


def table_definition(template_path: Path = INFRA_TEMPLATE) -> dict[str, Any]:
    template = json.loads(template_path.read_text(encoding="utf-8"))
    properties = template["Resources"]["PermitTable"]["Properties"]
    definition = {key: properties[key] for key in _CREATE_TABLE_KEYS if key in properties}
    stream = properties.get("StreamSpecification")
    if stream:  # CloudFormation names only the view type; the API also wants "enabled"
        definition["StreamSpecification"] = {"StreamEnabled": True, **stream}
    return definition


def create_table(client: Any, table_name: str, template_path: Path = INFRA_TEMPLATE) -> None:
    """Create the table (idempotent) and switch on TTL where the endpoint supports it."""
    definition = table_definition(template_path)
    try:
        client.create_table(TableName=table_name, **definition)
    except client.exceptions.ResourceInUseException:
        return
    client.get_waiter("table_exists").wait(TableName=table_name)
    ttl = json.loads(template_path.read_text(encoding="utf-8"))["Resources"]["PermitTable"][
        "Properties"
    ].get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)
