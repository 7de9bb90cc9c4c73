"""A local table made before the template gained an index gets it on the next start.

``make run`` keeps its table between runs (the journal); without this, the first staff
e-mail search or lifecycle run after a pull would query an index the old table lacks.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from chalicelib.adapters.dynamodb.table import INFRA_TEMPLATE, create_table


def _template_without(index_name: str, tmp_path: Path) -> Path:
    template = json.loads(INFRA_TEMPLATE.read_text(encoding="utf-8"))
    table = template["Resources"]["PermitTable"]["Properties"]
    table["GlobalSecondaryIndexes"] = [
        index for index in table["GlobalSecondaryIndexes"] if index["IndexName"] != index_name
    ]
    used = {k["AttributeName"] for i in table["GlobalSecondaryIndexes"] for k in i["KeySchema"]}
    used |= {key["AttributeName"] for key in table["KeySchema"]}
    table["AttributeDefinitions"] = [
        item for item in table["AttributeDefinitions"] if item["AttributeName"] in used
    ]
    path = tmp_path / "older-resources.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    return path


def test_an_older_table_gains_the_missing_index_with_its_existing_items(
    dynamodb_client: Any, tmp_path: Path
) -> None:
    name = f"permits-upgrade-{secrets.token_hex(4)}"
    create_table(dynamodb_client, name, _template_without("GSI3", tmp_path))
    try:
        before = dynamodb_client.describe_table(TableName=name)["Table"]
        assert "GSI3" not in {i["IndexName"] for i in before["GlobalSecondaryIndexes"]}
        dynamodb_client.put_item(
            TableName=name,
            Item={
                "PK": {"S": "PERMIT#1"},
                "SK": {"S": "PERMIT"},
                "GSI3PK": {"S": "ENDS#2027-01-31"},
                "GSI3SK": {"S": "1"},
            },
        )

        create_table(dynamodb_client, name)  # the next start, with the current template

        after = dynamodb_client.describe_table(TableName=name)["Table"]
        assert "GSI3" in {i["IndexName"] for i in after["GlobalSecondaryIndexes"]}
        found = dynamodb_client.query(
            TableName=name,
            IndexName="GSI3",
            KeyConditionExpression="GSI3PK = :day",
            ExpressionAttributeValues={":day": {"S": "ENDS#2027-01-31"}},
        )["Items"]
        assert [item["PK"]["S"] for item in found] == ["PERMIT#1"]
        create_table(dynamodb_client, name)  # idempotent once up to date
    finally:
        dynamodb_client.delete_table(TableName=name)
