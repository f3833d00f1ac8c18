"""Transforms template.yaml with aws-sam-translator, as `sam deploy` has
CloudFormation do, and writes the resulting CloudFormation template as JSON.

Usage: transform.py TEMPLATE OUT.json CODE_URI NAME=VALUE...

Every function's CodeUri is first replaced with CODE_URI (s3://bucket/key),
as `sam package` replaces the local folder with the uploaded zip: the
translator accepts only S3 locations. The NAME=VALUE pairs are the template's
parameters; those without a default must be given.
"""

import json
import os
import sys

# The translator reads the region (for ARNs and partitions) from the
# environment; any region does for a check.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402


class NoManagedPolicies:
    """The template names no managed policies by name, so the translator
    needs no IAM lookup (which would need an account)."""

    def load(self):
        return {}


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    template_path, out_path, code_uri = argv[1:4]
    params = dict(kv.split("=", 1) for kv in argv[4:])
    with open(template_path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = code_uri
    out = transform(template, params, NoManagedPolicies())
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv)
