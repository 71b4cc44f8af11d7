"""Write `functions_override.tf.json` beside Chalice's Terraform output, so each function
gets what only Terraform knows: the API function the user pool's and app client's ids,
the resize and failure functions the API's own URL (for the page URL in their events).

Chalice's Terraform output takes no merge template, and a Terraform override replaces a
nested block (`environment`) whole, so the override repeats the stage's variables from
`.chalice/config.json` (the one place they are set) and adds the references:

    python -m dev.terraform_env build/terraform [--stage dev]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".chalice" / "config.json"
FILE_NAME = "functions_override.tf.json"
#: what the API function learns from resources in deploy/terraform-dev/
API_REFERENCES = {
    "PICSET_USER_POOL_ID": "${aws_cognito_user_pool.users.id}",
    "PICSET_USER_POOL_CLIENT_ID": "${aws_cognito_user_pool_client.web.id}",
    "PICSET_TABLE_NAME": "${aws_dynamodb_table.images.name}",
}
#: what the functions that announce manifests learn from Chalice's own API resources
#: (the deployment's URL ends with its stage and no slash)
SITE_REFERENCES = {"PICSET_SITE_URL": "${aws_api_gateway_deployment.rest_api.invoke_url}/"}
REFERENCES = {
    "api_handler": API_REFERENCES,
    "resize_upload": SITE_REFERENCES,
    "record_failure": SITE_REFERENCES,
}


def override(stage: str, config: Path = CONFIG) -> dict[str, Any]:
    stage_variables = json.loads(config.read_text())["stages"][stage]["environment_variables"]
    functions = {
        name: {"environment": {"variables": {**stage_variables, **references}}}
        for name, references in REFERENCES.items()
    }
    return {"resource": {"aws_lambda_function": functions}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="where chalice.tf.json was written")
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args(argv)
    target = args.directory / FILE_NAME
    target.write_text(json.dumps(override(args.stage), indent=2) + "\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
