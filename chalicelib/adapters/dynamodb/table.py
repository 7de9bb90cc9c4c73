"""Create the table from infra/resources.json: one definition for deployment, local runs and tests.

CloudFormation and the DynamoDB API spell a table alike except for a few keys (TTL, PITR,
SSE are separate calls or not available on emulators); those are dropped here, the rest is
passed through untouched so the two can never drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["INFRA_TEMPLATE", "add_missing_indexes", "create_table", "table_definition"]

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
    """Create the table (idempotent) and switch on TTL where the endpoint supports it.

    A table that exists already (``make run`` keeps its journal between runs) gets the
    indexes the template gained since it was made, so a developer's old local data keeps
    working after a pull instead of failing on the first query of a new index.
    """
    definition = table_definition(template_path)
    try:
        client.create_table(TableName=table_name, **definition)
    except client.exceptions.ResourceInUseException:
        add_missing_indexes(client, table_name, definition)
        return
    client.get_waiter("table_exists").wait(TableName=table_name)
    ttl = json.loads(template_path.read_text(encoding="utf-8"))["Resources"]["PermitTable"][
        "Properties"
    ].get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=table_name, TimeToLiveSpecification=ttl)


def add_missing_indexes(client: Any, table_name: str, definition: dict[str, Any]) -> list[str]:
    """Create the template's global secondary indexes the existing table lacks (names).

    DynamoDB creates one index per UpdateTable call and fills it from the existing items.
    """
    described = client.describe_table(TableName=table_name)["Table"]
    present = {index["IndexName"] for index in described.get("GlobalSecondaryIndexes", [])}
    attributes = {item["AttributeName"]: item for item in definition["AttributeDefinitions"]}
    added = []
    for index in definition.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] in present:
            continue
        names = [key["AttributeName"] for key in index["KeySchema"]]
        client.update_table(
            TableName=table_name,
            AttributeDefinitions=[attributes[name] for name in names],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        added.append(index["IndexName"])
    return added
